// SPDX-License-Identifier: MPL-2.0
//! The clinic console as a browser without JavaScript sees it: a client
//! pinned to the clinic's TLS certificate, optionally from a loopback
//! address of its own (127.0.0.2, …: the server sees another peer), that
//! logs in, keeps the session cookie and the page's CSRF token, and
//! reads and posts pages.

use std::net::IpAddr;
use std::time::Duration;

use houmon_server::admin;
use houmon_server::db::audit::{self, Actor, Filter};
use houmon_server::db::staff::Role;
use houmon_sync::ServerPin;

use crate::clinic::Clinic;

/// The console password of the staff the tests make.
pub const PASSWORD: &str = "correct horse battery staple";

/// A client pinned to `clinic`, from `from` (a loopback address) if given.
pub fn pinned_client(clinic: &Clinic, from: Option<IpAddr>) -> reqwest::Client {
    let pin = ServerPin::parse(clinic.pin.as_deref().expect("TLS")).expect("pin");
    reqwest::Client::builder()
        .use_preconfigured_tls(houmon_sync::tls::client_config(pin))
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A loopback address other than 127.0.0.1 (Linux routes all of 127/8 to
/// the loopback interface): `n` in 2..=254.
pub fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// Adds a staff member with the test password.
pub fn staff_with_password(clinic: &Clinic, id: &str, role: Role) {
    admin::add_staff(clinic.app(), &Actor::System, id, id, role).expect("staff");
    admin::set_password(clinic.app(), &Actor::System, id, PASSWORD).expect("password");
}

/// The audit entries whose action starts with `prefix`, newest first.
pub fn audit_of(clinic: &Clinic, prefix: &str) -> Vec<audit::Row> {
    let f = Filter { action_prefix: Some(prefix.into()), limit: 10_000, ..Default::default() };
    clinic.app().db.read(|c, _| audit::list(c, &f)).expect("audit")
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    html.get(at..at + 64).map(str::to_owned)
}

/// An answer: the status, the headers and the body as text.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

pub struct Console {
    pub http: reqwest::Client,
    pub url: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

impl Console {
    pub fn new(clinic: &Clinic) -> Console {
        Console::from(clinic, None)
    }

    /// A browser on another machine: the server sees `from` as its peer.
    pub fn from(clinic: &Clinic, from: Option<IpAddr>) -> Console {
        Console {
            http: pinned_client(clinic, from),
            url: clinic.url.clone(),
            cookie: None,
            csrf: None,
        }
    }

    /// Logs in; the status (303 on success) and the page.
    pub async fn login(&mut self, staff: &str, password: &str) -> (u16, String) {
        let page = self.http.get(format!("{}/console/login", self.url)).send().await.unwrap();
        let login_cookie = set_cookie(&page, "houmon_login").expect("the login cookie");
        let token = login_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        let resp = self
            .http
            .post(format!("{}/console/login", self.url))
            .header("cookie", format!("houmon_login={token}"))
            .form(&[("login_csrf", token.as_str()), ("staff_id", staff), ("password", password)])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if let Some(c) = set_cookie(&resp, "houmon_console") {
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
            // The second factor (issue 21): administrators set it up at
            // their first login and give a code at every other.
            if location == "/console/login/setup" || location == "/console/login/code" {
                self.second_factor(staff, &location).await;
            }
            let home = self.get("/console/").await;
            self.csrf = csrf_of(&home.body);
        }
        (status, resp.text().await.unwrap_or_default())
    }

    /// Gives the second factor as the staff member's authenticator app
    /// would (the secret read from the setup page, kept per clinic).
    async fn second_factor(&mut self, staff: &str, step: &str) {
        let page = self.get(step).await;
        let key = (self.url.clone(), staff.to_owned());
        if step == "/console/login/setup" {
            let at = page.body.find(r#"id="totp-secret">"#).expect("the setup key") + 17;
            let secret = page.body[at..].split('<').next().unwrap().to_owned();
            totp_secrets()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.clone(), (secret, 0));
        }
        let code = next_code(&key).await;
        let form_csrf = csrf_of(&page.body).expect("the form's token");
        let mut req = self
            .http
            .post(format!("{}{step}", self.url))
            .form(&[("csrf", form_csrf.as_str()), ("code", code.as_str())]);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let done = page_of(req.send().await.unwrap()).await;
        assert!(done.status == 200 || done.status == 303, "{step}: {}", done.body);
        let cont = self.get("/console/login/continue").await;
        assert_eq!(cont.status, 303, "logged in: {}", cont.body);
    }

    /// The password step alone: the status and where it sends the browser
    /// (`/console/login/code`, `/console/login/setup` or the page).
    pub async fn login_password_only(&mut self, staff: &str, password: &str) -> (u16, String) {
        self.login_form(staff, password, None).await
    }

    /// Logs in from a login page that was to return to `next`; the page it
    /// returns to.
    pub async fn login_to(&mut self, staff: &str, password: &str, next: &str) -> (u16, String) {
        let (status, _) = self.login_form(staff, password, Some(next)).await;
        let cont = self.get("/console/login/continue").await;
        let to = cont.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
        (status, to.to_owned())
    }

    async fn login_form(
        &mut self,
        staff: &str,
        password: &str,
        next: Option<&str>,
    ) -> (u16, String) {
        let page = self.http.get(format!("{}/console/login", self.url)).send().await.unwrap();
        let login_cookie = set_cookie(&page, "houmon_login").expect("the login cookie");
        let token = login_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        let mut form =
            vec![("login_csrf", token.as_str()), ("staff_id", staff), ("password", password)];
        if let Some(n) = next {
            form.push(("next", n));
        }
        let resp = self
            .http
            .post(format!("{}/console/login", self.url))
            .header("cookie", format!("houmon_login={token}"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let to = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if let Some(c) = set_cookie(&resp, "houmon_console") {
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
        }
        (status, to)
    }

    /// A multipart upload (the patient CSV) with this session's token.
    pub async fn upload(&self, path: &str, file: Vec<u8>) -> Page {
        let form = reqwest::multipart::Form::new()
            .text("csrf", self.csrf.clone().unwrap_or_default())
            .part("file", reqwest::multipart::Part::bytes(file).file_name("patients.csv"));
        let mut req = self.http.post(format!("{}{path}", self.url)).multipart(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        page(req.send().await.unwrap()).await
    }

    /// Tells later logins of `staff` at this clinic the setup key a test
    /// set up by hand, and the time step it used last.
    pub fn remember_totp(&self, staff: &str, secret: &str) {
        let step = chrono::Utc::now().timestamp() as u64 / 30;
        totp_secrets()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((self.url.clone(), staff.to_owned()), (secret.to_owned(), step));
    }

    /// Logs in and insists it worked.
    pub async fn logged_in(clinic: &Clinic, staff: &str) -> Console {
        let mut c = Console::new(clinic);
        let (status, body) = c.login(staff, PASSWORD).await;
        assert_eq!(status, 303, "{staff} logs in: {body}");
        c
    }

    pub async fn get(&self, path: &str) -> Page {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        page(req.send().await.unwrap()).await
    }

    /// Posts a form with this session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = &self.csrf {
            form.push(("csrf", t));
        }
        let mut req = self.http.post(format!("{}{path}", self.url)).form(&form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        page(req.send().await.unwrap()).await
    }

    /// A download's bytes.
    pub async fn bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.bytes().await.unwrap_or_default().to_vec())
    }
}

/// The TOTP setup keys of the staff the tests log in, by (clinic, staff
/// id), with the last time step a code was used for.
type Keys = std::collections::HashMap<(String, String), (String, u64)>;

fn totp_secrets() -> &'static std::sync::Mutex<Keys> {
    static S: std::sync::OnceLock<std::sync::Mutex<Keys>> = std::sync::OnceLock::new();
    S.get_or_init(Default::default)
}

/// The code for the next time step the server will take (a code is
/// accepted once: a second login in the same 30 seconds takes the next
/// step's code, which the server accepts as one step of clock drift).
async fn next_code(key: &(String, String)) -> String {
    loop {
        let now = chrono::Utc::now().timestamp() as u64 / 30;
        let (secret, last) = totp_secrets()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
            .expect("set up");
        let step = (now.saturating_sub(1)).max(last + 1);
        if step <= now + 1 {
            totp_secrets()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.clone(), (secret.clone(), step));
            return houmon_server::console::totp::code_at(&secret, step * 30);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The TOTP code a staff member's app shows now (a browser test types it).
pub fn code_now(secret: &str) -> String {
    houmon_server::console::totp::code_at(secret, chrono::Utc::now().timestamp() as u64)
}

async fn page_of(resp: reqwest::Response) -> Page {
    page(resp).await
}

async fn page(resp: reqwest::Response) -> Page {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Page { status, headers, body: resp.text().await.unwrap_or_default() }
}

/// The cells of a CSV text (RFC 4180: quoted cells, doubled quotes, CRLF),
/// as a spreadsheet reads them.
pub fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

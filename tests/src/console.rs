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
        if let Some(c) = set_cookie(&resp, "houmon_console") {
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
            let home = self.get("/console/").await;
            self.csrf = csrf_of(&home.body);
        }
        (status, resp.text().await.unwrap_or_default())
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

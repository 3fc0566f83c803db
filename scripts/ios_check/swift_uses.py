"""Checks every use of a known type in the hand-written Swift against its
declaration, with a small type inference that follows values through
scopes: properties and parameters with their declared types, locals from
their initialisers (`let core = AppCore(...)`, `let v = try await x.f()`),
`if let`/`guard let`, `for ... in`, values bound by enum patterns
(`case let .visit(visit)`), closure parameters of `ForEach` and of array
methods, and the expected type of an argument, an assignment, a return or
a comparison for implicit members (`.openPatient(patientId:)`).

A "known" type is one of the core's (the generated bindings) or one of the
app's own whose members are all declared in the app. On a known type it
reports: a member (method, property, case) that does not exist, call
labels that match no declaration, a call to an `async`/`throws` function
without `await`/`try`, an enum case pattern that names no case or has the
wrong number or labels of values, a `switch` that misses cases without a
`default`, a conformance to a core or app protocol whose method differs in
labels, `async`, `throws` or return type (or is not `nonisolated` in a
`@MainActor` class), and an app type that shadows a core type.

What it cannot see: generic code, overloads by type, anything on platform
types (SwiftUI, UIKit, CoreNFC), closures whose parameter types come from
a platform API, partial coverage of a case by a sub-pattern (a switch case
with a literal inside counts as covering it)."""
from dataclasses import dataclass

from .swift_model import TypeDecl, element, ident, simple_name, text, unopt

# Protocols whose members are all known: a type that conforms only to these
# (and to core or app protocols) has no members but those it declares.
HARMLESS = {"ObservableObject", "Sendable", "AnyObject", "Equatable", "Hashable", "Identifiable",
            "Error", "LocalizedError", "CustomStringConvertible", "NSObjectProtocol"}
# Members every value of a known type has.
UNIVERSAL = {"self", "hashValue", "hash", "errorDescription", "localizedDescription", "objectWillChange"}
# Where a `try` or an `await` stops covering an expression.
STOP = {"statements", "lambda_literal", "function_body", "class_body", "source_file", "computed_property",
        "if_statement", "guard_statement", "switch_statement", "for_statement", "while_statement",
        "property_declaration", "control_transfer_statement", "assignment", "switch_entry"}
# What a core record or enum converts to without a cast.
CONVERTIBLE = {"Any", "AnyHashable", "Sendable", "Equatable", "Hashable", "anySendable", "anyHashable"}
# Cases of the standard library's enums (`Result`, `Optional`), never the core's.
SWIFT_CASES = {"success", "failure", "some", "none"}
ARRAY_PROPS = {"count": "Int", "isEmpty": "Bool"}
PLUMBING_PREFIXES = ("FfiConverter", "Rust", "ForeignBytes", "Uniffi", "uniffi", "NoHandle")


@dataclass
class Finding:
    where: str
    kind: str
    text: str

    def __str__(self):
        return f"{self.where}: [{self.kind}] {self.text}"


class Types:
    """The core's declarations and the app's, with the rules above."""

    def __init__(self, core, own):
        self.core = core
        self.own = own
        self.core_names = {
            n for n, t in core.types.items()
            if t.kind != "extension" and not n.startswith(PLUMBING_PREFIXES)
        }

    def decl(self, name):
        """(declaration, extension members from the app) for a known type, or None."""
        if name is None:
            return None
        own = self.own.types.get(name)
        if name in self.core_names:
            return self.core.types[name], own
        if own is not None and own.kind in ("class", "struct", "enum", "protocol") and self.closed(own):
            return own, None
        return None

    def closed(self, t):
        protocols = {n for n, d in self.core.types.items() if d.kind == "protocol"} | {
            n for n, d in self.own.types.items() if d.kind == "protocol"}
        return all(s in HARMLESS or s in protocols for s in t.supers)

    def protocol(self, name):
        for model in (self.core, self.own):
            t = model.types.get(name)
            if t is not None and t.kind == "protocol" and (model is self.own or name in self.core_names):
                return t
        return None

    def members(self, name, what):
        d = self.decl(name)
        if d is None:
            return None
        t, ext = d
        out = dict(getattr(t, what))
        if ext is not None and ext is not t:
            for k, v in getattr(ext, what).items():
                out.setdefault(k, v)
        return out

    def function(self, name):
        if name.startswith(PLUMBING_PREFIXES):
            return None
        return self.own.functions.get(name) or self.core.functions.get(name)


def labels_match(func, labels, trailing):
    """Call labels against a declaration: defaults may be left out, and the
    last parameters may be trailing closures."""
    params = func.params
    i = 0
    for lab in labels:
        while i < len(params) and params[i].label != lab and params[i].default:
            i += 1
        if i >= len(params) or params[i].label != lab:
            return False
        i += 1
    rest = params[i:]
    required = [p for p in rest if not p.default]
    return len(required) <= trailing <= len(rest)


def param_types_for(func, labels):
    """The declared type of each argument given with `labels`."""
    out, i = [], 0
    for lab in labels:
        while i < len(func.params) and func.params[i].label != lab and func.params[i].default:
            i += 1
        out.append(func.params[i].type if i < len(func.params) else None)
        i += 1
    return out


class Env(dict):
    def child(self, extra=None):
        e = Env(self)
        e.update(extra or {})
        return e


class Checker:
    def __init__(self, types: Types):
        self.t = types
        self.findings = []
        self.checked = 0
        self.lambda_params = {}
        self.prop_inits = {}   # (type, prop) -> (src, node) for properties without a declared type
        self.resolving = set()

    # ------------------------------------------------------------------ entry

    def check_file(self, rel, src, tree):
        self.rel, self.src = rel, src
        self.module = module_of(rel)
        self.visit_children(tree.root_node, Env())
        self.conformances(tree.root_node)

    def access(self, node, tname, member=None):
        """An app type (or its member) used from another module must be public."""
        own = self.t.own.types.get(tname)
        if own is None or tname in self.t.core_names or not own.files:
            return
        home = module_of(sorted(own.files)[0])
        if home == getattr(self, "module", home):
            return
        if not own.public:
            self.report(node, "access", f"{tname} is used in {self.module} but is not public in {home}")
        elif member is not None and member not in own.public_members and member not in own.cases:
            self.report(node, "access", f"{tname}.{member} is used in {self.module} but is not public in {home}")

    def report(self, node, kind, msg):
        self.findings.append(Finding(f"{self.rel}:{node.start_point[0] + 1}", kind, msg))

    def txt(self, node):
        return text(self.src, node)

    # ------------------------------------------------------------- statements

    def visit_children(self, node, env):
        for c in node.named_children:
            self.visit(c, env)

    def visit(self, node, env):
        k = node.type
        if k in ("class_declaration", "protocol_declaration"):
            return self.visit_type(node, env)
        if k in ("function_declaration", "init_declaration"):
            return self.visit_function(node, env)
        if k == "statements":
            block = env.child()
            for c in node.named_children:
                self.visit(c, block)
            return
        if k == "property_declaration":
            return self.visit_property(node, env)
        if k in ("if_statement", "guard_statement"):
            return self.visit_condition(node, env)
        if k == "switch_statement":
            return self.visit_switch(node, env)
        if k == "for_statement":
            return self.visit_for(node, env)
        if k == "assignment":
            return self.visit_assignment(node, env)
        if k == "control_transfer_statement":
            for c in node.named_children:
                self.type_of(c, env, env.get("<return>"))
            return
        if k in ("import_declaration", "comment", "multiline_comment", "typealias_declaration"):
            return
        if k in ("function_body", "class_body", "enum_class_body", "protocol_body", "computed_property",
                 "computed_getter", "computed_setter", "willset_didset_block", "do_statement", "catch_block",
                 "while_statement", "repeat_while_statement", "defer_statement"):
            return self.visit_children(node, env.child())
        self.type_of(node, env)

    def own_type_env(self, name, env):
        e = env.child({"self": name})
        d = self.t.own.types.get(name)
        core = self.t.core.types.get(name) if name in self.t.core_names else None
        for decl in (core, d):
            if decl is None:
                continue
            for prop, ty in list(decl.props.items()) + list(decl.static_props.items()):
                e[prop] = ty if ty is not None else ("<init>", name, prop)
        return e

    def visit_type(self, node, env):
        name = next((ident(self.txt(c)).split(".")[-1] for c in node.children
                     if c.type in ("type_identifier", "user_type")), None)
        e = self.own_type_env(name, env) if name else env.child()
        for body in node.children:
            if body.type in ("class_body", "enum_class_body", "protocol_body"):
                for m in body.named_children:
                    if m.type == "property_declaration":
                        self.visit_property(m, e, member_of=name)
                    else:
                        self.visit(m, e)

    def visit_function(self, node, env):
        e = env.child()
        kids = node.children
        ret = None
        for i, c in enumerate(kids):
            if c.type == "parameter":
                ids = [x for x in c.children if x.type == "simple_identifier"]
                if ids:
                    ty = next((self.norm(x) for x in c.children if x.type.endswith("_type")), None)
                    e[ident(self.txt(ids[-1]))] = ty
            elif c.type == "->" and i + 1 < len(kids):
                ret = self.norm(kids[i + 1])
        e["<return>"] = ret
        for c in kids:
            if c.type == "function_body":
                self.visit_children(c, e)

    def norm(self, node):
        from .swift_model import norm_type
        return norm_type(self.txt(node))

    def visit_property(self, node, env, member_of=None):
        ann = next((c for c in node.children if c.type == "type_annotation"), None)
        declared = None
        if ann is not None:
            declared = next((self.norm(c) for c in ann.named_children), None)
        value = None
        kids = node.children
        for i, c in enumerate(kids):
            if c.type == "=" and i + 1 < len(kids):
                value = kids[i + 1]
        inferred = self.type_of(value, env, declared) if value is not None else None
        if declared and inferred and simple_name(inferred) in self.t.core_names:
            kind = self.t.core.types[simple_name(inferred)].kind
            if kind in ("struct", "enum") and unopt(declared) != unopt(inferred) and unopt(declared) not in CONVERTIBLE:
                self.report(node, "type", f"a value of type {inferred} is declared as {declared}")
        for c in node.children:
            if c.type == "computed_property":
                self.visit_children(c, env.child({"<return>": declared}))
        if member_of is not None:
            return  # members were bound when the type was entered
        for c in node.children:
            if c.type == "pattern":
                names = [ident(self.txt(i)) for i in c.children if i.type == "simple_identifier"]
                for n in names:
                    env[n] = declared or (inferred if len(names) == 1 else None)

    def visit_assignment(self, node, env):
        target = next((c for c in node.children if c.type == "directly_assignable_expression"), None)
        target_type = self.type_of(target.named_children[0], env) if target is not None and target.named_children else None
        kids = node.children
        for i, c in enumerate(kids):
            if c.type in ("=", "+=", "-=") and i + 1 < len(kids):
                self.type_of(kids[i + 1], env, target_type)

    def segments(self, node, until):
        """The conditions of an `if`/`guard`, split at top-level commas."""
        segs, cur = [], []
        for c in node.children[1:]:
            if c.type in until:
                break
            if c.type == ",":
                segs.append(cur)
                cur = []
            else:
                cur.append(c)
        if cur:
            segs.append(cur)
        return segs

    def visit_condition(self, node, env):
        guard = node.type == "guard_statement"
        bound = env if guard else env.child()
        for seg in self.segments(node, ("{", "else")):
            if not seg:
                continue
            if seg[0].type == "case":
                eq = next((i for i, c in enumerate(seg) if c.type == "="), None)
                if eq is None:
                    continue
                subject = self.type_of(seg[eq + 1], bound) if eq + 1 < len(seg) else None
                self.pattern(seg[1:eq], subject, bound, False)
            elif seg[0].type == "value_binding_pattern":
                names = [c for c in seg if c.type == "simple_identifier"]
                eq = next((i for i, c in enumerate(seg) if c.type == "="), None)
                if names:
                    name = ident(self.txt(names[0]))
                    if eq is not None and eq + 1 < len(seg):
                        bound[name] = unopt(self.type_of(seg[eq + 1], bound))
                    else:
                        bound[name] = unopt(self.lookup_name(name, bound))
            else:
                for c in seg:
                    if c.is_named:
                        self.type_of(c, bound)
        # Bodies: the `then` block sees the bindings; `else` and a guard's body do not.
        blocks = [c for c in node.children if c.type == "statements"]
        for i, b in enumerate(blocks):
            self.visit(b, bound if (i == 0 and not guard) else env)
        for c in node.children:
            if c.type == "if_statement":
                self.visit(c, env)

    def visit_for(self, node, env):
        kids = node.children
        e = env.child()
        names, seq = [], None
        for i, c in enumerate(kids):
            if c.type == "pattern":
                names = [ident(self.txt(x)) for x in c.children if x.type == "simple_identifier"]
            if c.type == "in" and i + 1 < len(kids):
                seq = kids[i + 1]
        elem = element(self.type_of(seq, env)) if seq is not None else None
        for n in names:
            e[n] = elem if len(names) == 1 else None
        for c in kids:
            if c.type == "statements":
                self.visit(c, e)

    # ---------------------------------------------------------------- patterns

    def pattern(self, nodes, subject, env, binding):
        """Checks an enum case pattern against the subject's type and binds
        its names; returns the case it names (or "*" for a catch-all)."""
        nodes = [n for n in nodes if n.type not in ("comment", "multiline_comment")]
        if nodes and nodes[0].type == "pattern" and len(nodes) == 1:
            return self.pattern(nodes[0].children, subject, env, binding)
        if nodes and nodes[0].type == "value_binding_pattern":
            binding = True
            nodes = nodes[1:]
        if nodes and nodes[-1].type == "?":
            subject = unopt(subject)
            nodes = nodes[:-1]
        if len(nodes) >= 2 and nodes[0].type == "." and nodes[1].type == "simple_identifier":
            name = ident(self.txt(nodes[1]))
            tname = simple_name(subject)
            cases = self.t.members(tname, "cases")
            case = None
            if cases is not None and self.t.decl(tname)[0].kind == "enum":
                self.checked += 1
                case = cases.get(name)
                if case is None:
                    self.report(nodes[1], "pattern", f"{tname} has no case .{name} (cases: {', '.join(sorted(cases))})")
            subs = self.sub_patterns(nodes[2:])
            if case is not None and subs is not None:
                if len(subs) != len(case.types):
                    self.report(nodes[1], "pattern",
                                f".{name} of {tname} has {len(case.types)} associated values, the pattern {len(subs)}")
                for i, (label, sub) in enumerate(subs):
                    if label is not None and i < len(case.labels) and case.labels[i] != label:
                        self.report(nodes[1], "pattern", f".{name} of {tname}: value {i + 1} is {case.labels[i]}, not {label}")
            for i, (_, sub) in enumerate(subs or []):
                ty = case.types[i] if case is not None and i < len(case.types) else None
                self.pattern(sub, ty, env, binding)
            return name
        if len(nodes) == 1 and nodes[0].type == "simple_identifier":
            if binding:
                env[ident(self.txt(nodes[0]))] = subject
                return "*"
            return None
        if len(nodes) == 1 and nodes[0].type == "wildcard_pattern":
            return "*"
        return None

    def sub_patterns(self, nodes):
        """`(label: let a, _, .x)` -> [(label or None, [nodes])], or None without parentheses."""
        if not nodes or nodes[0].type != "(":
            return None
        out, cur, label = [], [], None
        for n in nodes[1:]:
            if n.type in (",", ")"):
                if cur:
                    out.append((label, cur))
                cur, label = [], None
                continue
            if n.type == "simple_identifier" and not cur:
                label = ident(self.txt(n))
                continue
            if n.type == ":":
                continue
            cur.append(n)
        return out

    def visit_switch(self, node, env):
        subject_node = next((c for c in node.named_children if c.type != "switch_entry"), None)
        subject = self.type_of(subject_node, env) if subject_node is not None else None
        tname = simple_name(subject)
        d = self.t.decl(tname)
        is_enum = d is not None and d[0].kind == "enum" and subject is not None and not subject.endswith("?")
        covered, exhaustive = set(), False
        for entry in node.children:
            if entry.type != "switch_entry":
                continue
            e = env.child()
            if any(c.type == "default_keyword" for c in entry.children):
                exhaustive = True
            has_where = any(c.type == "where_keyword" or c.type == "where_clause" for c in entry.children)
            for sp in entry.children:
                if sp.type == "switch_pattern":
                    got = self.pattern(sp.children, subject, e, False)
                    if got == "*" and not has_where:
                        exhaustive = True
                    elif got and not has_where:
                        covered.add(got)
            for c in entry.children:
                if c.type == "statements":
                    self.visit(c, e)
        if is_enum and not exhaustive:
            self.checked += 1
            missing = sorted(set(self.t.members(tname, "cases")) - covered)
            if missing:
                self.report(node, "exhaustive", f"switch over {tname} misses {', '.join('.' + m for m in missing)} and has no default")

    # ------------------------------------------------------------- expressions

    def lookup_name(self, name, env):
        if name in env:
            v = env[name]
            if isinstance(v, tuple):
                return self.resolve_init(*v[1:])
            return v
        if name in self.t.core_names or name in self.t.own.types:
            return name + ".Type"
        return None

    def resolve_init(self, owner, prop):
        """The type of a stored property declared without a type (`static let glue = Glue(...)`)."""
        key = (owner, prop)
        if key in self.resolving:
            return None
        init = self.prop_inits.get(key)
        if init is None:
            return None
        self.resolving.add(key)
        src, node, rel = init
        saved = (self.src, self.rel, self.findings, self.checked)
        self.src, self.rel, self.findings = src, rel, []
        try:
            return self.type_of(node, self.own_type_env(owner, Env()))
        finally:
            self.src, self.rel, self.findings, self.checked = saved
            self.resolving.discard(key)

    def type_of(self, node, env, expected=None):
        if node is None:
            return None
        k = node.type
        if k == "simple_identifier":
            return self.lookup_name(ident(self.txt(node)), env)
        if k == "self_expression":
            return env.get("self")
        if k in ("try_expression", "await_expression"):
            inner = [c for c in node.named_children if c.type not in ("try_operator",)]
            return self.type_of(inner[-1], env, expected) if inner else None
        if k == "navigation_expression":
            return self.navigation(node, env)
        if k == "call_expression":
            return self.call(node, env, expected)
        if k == "prefix_expression":
            if node.children and node.children[0].type == "." and len(node.children) > 1:
                return self.implicit_member(node, ident(self.txt(node.children[1])), None, env, expected)
            for c in node.named_children:
                self.type_of(c, env)
            return None
        if k == "lambda_literal":
            return self.visit_lambda(node, env)
        if k == "ternary_expression":
            parts = node.named_children
            if len(parts) == 3:
                self.type_of(parts[0], env)
                a = self.type_of(parts[1], env, expected)
                b = self.type_of(parts[2], env, expected)
                return a or b
        if k == "nil_coalescing_expression":
            parts = node.named_children
            if len(parts) == 2:
                left = self.type_of(parts[0], env, expected + "?" if expected else None)
                right = self.type_of(parts[1], env, unopt(left) or expected)
                return unopt(left) or right
        if k in ("equality_expression", "infix_expression", "comparison_expression"):
            parts = node.named_children
            if len(parts) == 3 and self.txt(parts[1]) in ("==", "!=", "===", "!=="):
                left = self.type_of(parts[0], env)
                right = self.type_of(parts[2], env, unopt(left))
                if left is None and right is not None:
                    self.type_of(parts[0], env, unopt(right))
                return "Bool"
            if len(parts) == 2 and node.children[1].type in ("==", "!="):
                left = self.type_of(parts[0], env)
                self.type_of(parts[1], env, unopt(left))
                return "Bool"
        if k == "as_expression":
            self.type_of(node.named_children[0], env)
            ty = next((self.norm(c) for c in node.named_children[1:] if c.type.endswith("_type")), None)
            op = self.txt(node.named_children[1]) if len(node.named_children) > 1 else ""
            return (ty + "?") if ty and op.startswith("as?") else ty
        if k == "array_literal":
            elem = element(expected)
            for c in node.named_children:
                self.type_of(c, env, elem)
            return expected
        if k == "value_argument":
            val = [c for c in node.named_children if c.type != "value_argument_label"]
            return self.type_of(val[-1], env, expected) if val else None
        if k == "key_path_expression":
            return None
        if k in ("statements", "if_statement", "switch_statement", "guard_statement", "for_statement",
                 "property_declaration", "assignment"):
            self.visit(node, env)
            return None
        for c in node.named_children:
            self.type_of(c, env)
        return None

    def visit_lambda(self, node, env, param_types=None):
        e = env.child({"<return>": None})
        params = []
        for c in walk_shallow(node, ("lambda_function_type",)):
            for p in c.named_children:
                if p.type == "lambda_function_type_parameters":
                    params = [x for x in p.named_children if x.type == "lambda_parameter"]
        types = param_types or []
        for i, p in enumerate(params):
            names = [x for x in p.children if x.type == "simple_identifier"]
            if names:
                e[ident(self.txt(names[-1]))] = types[i] if i < len(types) else None
        for i in range(4):
            e[f"${i}"] = types[i] if i < len(types) else None
        for c in node.named_children:
            if c.type == "statements":
                self.visit(c, e)
        return None

    def member_of(self, recv_type):
        """(type name, is the type itself) for member lookup, or (None, False)."""
        if recv_type is None:
            return None, False
        t = unopt(recv_type)
        if t.endswith(".Type"):
            return t[:-5], True
        return simple_name(t), False

    def navigation(self, node, env):
        recv = node.children[0]
        suffix = node.children[-1]
        name_node = next((c for c in suffix.children if c.type == "simple_identifier"), None)
        if recv.type == "key_path_expression" or name_node is None:
            return None
        name = ident(self.txt(name_node))
        recv_type = self.type_of(recv, env)
        if recv_type is not None and element(recv_type) is not None and not recv_type.endswith(".Type"):
            if name in ARRAY_PROPS:
                return ARRAY_PROPS[name]
            if name in ("first", "last"):
                return element(recv_type) + "?"
            return None
        tname, static = self.member_of(recv_type)
        if self.t.decl(tname) is None:
            own = self.t.own.types.get(tname)
            if own is not None and name in set(own.props) | set(own.static_props) | set(own.methods) | set(own.statics):
                self.access(name_node, tname, name)
            return None
        self.checked += 1
        self.access(name_node, tname, name)
        if static:
            cases = self.t.members(tname, "cases")
            sprops = self.t.members(tname, "static_props")
            if name in cases:
                return tname
            if name in sprops:
                ty = sprops[name]
                return ty if ty is not None else self.resolve_init(tname, name)
            if name in self.t.members(tname, "statics") or name == "init":
                return None
            self.report(name_node, "member", f"{tname} has no static member or case .{name}")
            return None
        props = self.t.members(tname, "props")
        if name in props:
            ty = props[name]
            return ty if ty is not None else self.resolve_init(tname, name)
        if name in self.t.members(tname, "methods") or name in UNIVERSAL:
            return None
        self.report(name_node, "member", f"{tname} has no property {name}")
        return None

    def call_parts(self, suffix):
        args = next((c for c in suffix.children if c.type == "value_arguments"), None)
        labels, values = [], []
        subscript = args is not None and args.children and args.children[0].type == "["
        if args is not None:
            for a in args.children:
                if a.type == "value_argument":
                    lab = next((c for c in a.children if c.type == "value_argument_label"), None)
                    labels.append(ident(self.txt(lab)) if lab is not None else "_")
                    values.append(a)
        lambdas = [c for c in suffix.children if c.type == "lambda_literal"]
        return tuple(labels), values, lambdas, subscript

    def effects(self, node, func, what):
        if not (func.is_async or func.throws):
            return
        tried = awaited = False
        p = node.parent
        while p is not None and p.type not in STOP:
            if p.type == "try_expression":
                tried = True
            if p.type == "await_expression":
                awaited = True
            p = p.parent
        if func.is_async and not awaited:
            self.report(node, "effects", f"{what} is async: call it with await")
        if func.throws and not tried:
            self.report(node, "effects", f"{what} throws: call it with try")

    def args(self, func, labels, values, lambdas, env, lambda_types=None):
        types = param_types_for(func, labels) if func is not None else [None] * len(values)
        for v, ty in zip(values, types):
            self.type_of(v, env, ty)
        for lam in lambdas:
            self.visit_lambda(lam, env, lambda_types)

    def pick(self, node, funcs, labels, lambdas, what):
        self.checked += 1
        for f in funcs:
            if labels_match(f, labels, len(lambdas)):
                return f
        shown = " or ".join(f"{what.split('.')[-1]}({''.join(l + ':' for l in f.labels)})" for f in funcs)
        self.report(node, "labels", f"{what}({''.join(l + ':' for l in labels)}) matches no declaration: {shown}")
        return None

    def call(self, node, env, expected):
        callee = node.children[0]
        suffix = node.children[-1]
        if suffix.type != "call_suffix":
            for c in node.named_children:
                self.type_of(c, env)
            return None
        labels, values, lambdas, subscript = self.call_parts(suffix)
        if subscript:
            base = self.type_of(callee, env)
            self.args(None, labels, values, [], env)
            return element(base)
        if callee.type == "prefix_expression" and callee.children and callee.children[0].type == ".":
            name = ident(self.txt(callee.children[1]))
            return self.implicit_member(callee, name, (labels, values, lambdas), env, expected)
        if callee.type == "navigation_expression":
            return self.method_call(node, callee, labels, values, lambdas, env)
        if callee.type == "simple_identifier":
            name = ident(self.txt(callee))
            if name in env:
                self.args(None, labels, values, lambdas, env)
                return None
            d = self.t.decl(name)
            if d is not None:
                self.access(callee, name, "init" if d[0].inits else None)
                inits = list(d[0].inits)
                if inits and (d[0].kind == "class" or name in self.t.core_names or not self.memberwise(d[0])):
                    f = self.pick(callee, inits, labels, lambdas, name)
                    if f is not None:
                        self.effects(node, f, name)
                    self.args(f, labels, values, lambdas, env)
                else:
                    self.args(None, labels, values, lambdas, env)
                return name
            own_self = self.t.own.types.get(unopt(env.get("self") or ""))
            if own_self is not None and (own_self.methods.get(name) or own_self.statics.get(name)):
                # A method of the enclosing type, called without `self.`.
                funcs = own_self.methods.get(name) or own_self.statics.get(name)
                f = self.pick(callee, funcs, labels, lambdas, f"{own_self.name}.{name}")
                if f is not None:
                    self.effects(node, f, f"{own_self.name}.{name}")
                self.args(f, labels, values, lambdas, env)
                return (f.returns or "Void") if f is not None else None
            own_type = self.t.own.types.get(name)
            if own_type is not None and own_type.kind != "extension":
                self.access(callee, name, "init" if own_type.inits else None)
                self.memberwise_access(callee, own_type, env)
            funcs = self.t.function(name)
            if funcs:
                f = self.pick(callee, funcs, labels, lambdas, name)
                if f is not None:
                    self.effects(node, f, name)
                self.args(f, labels, values, lambdas, env)
                return f.returns if f is not None else None
            lambda_types = None
            if name == "ForEach" and values:
                lambda_types = [element(self.type_of(values[0], env))]
                values = values[1:]
            self.args(None, labels, values, lambdas, env, lambda_types)
            return None
        self.type_of(callee, env)
        self.args(None, labels, values, lambdas, env)
        return None

    def memberwise_access(self, node, t, env):
        """Swift 5's memberwise initialiser is as visible as its least visible
        parameter: a `private var` (or a `@State private var` without an
        initial value) makes it private to the struct, a `fileprivate` one to
        its file, and a view built from elsewhere then does not compile."""
        if t.kind != "struct" or t.inits:
            return
        levels = {"private": 0, "fileprivate": 1, "internal": 2, "public": 2, "open": 2}
        params = [(n, a) for n, a, is_let, has_init, wrapped in t.stored
                  if not (is_let and has_init) and not (wrapped and has_init and levels[a] < 2)]
        if not params:
            return
        name, access = min(params, key=lambda p: levels[p[1]])
        inside = unopt(env.get("self") or "") == t.name
        same_file = self.rel in t.files
        if (access == "private" and not inside) or (access == "fileprivate" and not same_file):
            self.report(node, "access", f"{t.name}'s memberwise initialiser is {access} because of `{name}`: give it "
                                        "an initial value (or write an init)")

    @staticmethod
    def memberwise(t: TypeDecl):
        """An app struct without an init of its own has the memberwise one."""
        return t.kind == "struct" and not t.inits

    def method_call(self, node, callee, labels, values, lambdas, env):
        recv = callee.children[0]
        suffix = callee.children[-1]
        name_node = next((c for c in suffix.children if c.type == "simple_identifier"), None)
        if name_node is None:
            return None
        name = ident(self.txt(name_node))
        recv_type = self.type_of(recv, env)
        if recv_type is not None and element(recv_type) is not None and not recv_type.endswith(".Type"):
            elem = element(recv_type)
            self.args(None, labels, values, lambdas, env, [elem])
            if name in ("first", "last", "randomElement"):
                return elem + "?"
            if name in ("filter", "sorted", "reversed"):
                return recv_type
            if name in ("contains", "allSatisfy"):
                return "Bool"
            return None
        tname, static = self.member_of(recv_type)
        d = self.t.decl(tname)
        if d is None:
            # An app type with members we cannot all see (a subclass of a
            # platform class): its own methods still give the argument types.
            own = self.t.own.types.get(tname)
            funcs = (own.statics if static else own.methods).get(name) if own is not None else None
            if funcs:
                self.access(name_node, tname, name)
            f = next((x for x in funcs or [] if labels_match(x, labels, len(lambdas))), None)
            self.args(f, labels, values, lambdas, env)
            return (f.returns or "Void") if f is not None else None
        what = f"{tname}.{name}"
        self.access(name_node, tname, name)
        if static:
            cases = self.t.members(tname, "cases")
            if name in cases:
                self.case_args(name_node, tname, cases[name], labels, values, lambdas, env)
                return tname
            funcs = self.t.members(tname, "statics").get(name)
            if name == "init":
                funcs = d[0].inits
        else:
            funcs = self.t.members(tname, "methods").get(name)
            if not funcs and name in self.t.members(tname, "props"):
                self.checked += 1
                self.args(None, labels, values, lambdas, env)
                return None   # a closure held in a property
        if not funcs:
            self.checked += 1
            self.report(name_node, "member", f"{tname} has no {'static ' if static else ''}method {name}")
            self.args(None, labels, values, lambdas, env)
            return None
        f = self.pick(name_node, funcs, labels, lambdas, what)
        if f is not None:
            self.effects(node, f, what)
        self.args(f, labels, values, lambdas, env)
        return (f.returns or "Void") if f is not None else None

    def case_args(self, where, tname, case, labels, values, lambdas, env):
        self.checked += 1
        required = tuple(l for l, d in zip(case.labels, case.defaults or (False,) * len(case.labels)) if not d)
        given_ok = all(l in case.labels for l in labels) and list(labels) == [l for l in case.labels if l in labels]
        if not given_ok or not set(required) <= set(labels) or lambdas:
            self.report(where, "labels", f".{case.name}({''.join(l + ':' for l in labels)}) is not a case of {tname}: "
                                         f".{case.name}({''.join(l + ':' for l in case.labels)})")
        types = dict(zip(case.labels, case.types))
        for lab, v in zip(labels, values):
            self.type_of(v, env, types.get(lab) if lab != "_" else None)

    def implicit_member(self, node, name, call, env, expected):
        """`.name` or `.name(args)` where the type is `expected`."""
        tname = simple_name(expected)
        d = self.t.decl(tname)
        labels, values, lambdas = call if call is not None else ((), [], [])
        if d is not None:
            cases = self.t.members(tname, "cases")
            if name in cases:
                if call is not None or cases[name].types:
                    self.case_args(node, tname, cases[name], labels, values, lambdas, env)
                else:
                    self.checked += 1
                return tname
            statics = self.t.members(tname, "statics").get(name) or []
            sprops = self.t.members(tname, "static_props")
            if name in sprops and call is None:
                self.checked += 1
                return tname
            if statics and call is not None:
                f = self.pick(node, statics, labels, lambdas, f"{tname}.{name}")
                self.args(f, labels, values, lambdas, env)
                return tname
            if name == "init" and call is not None:
                return tname
            self.checked += 1
            self.report(node, "member", f".{name} is not a case or static member of {tname}")
            for v in values:
                self.type_of(v, env)
            return None
        if call is not None and expected is None and name not in SWIFT_CASES:
            # No type to go by: the labels must fit some core enum's case of that name.
            found = [(n, t.cases[name]) for n, t in self.t.core.types.items()
                     if n in self.t.core_names and name in t.cases]
            if found:
                self.checked += 1
                fits = [(n, c) for n, c in found if c.labels == labels]
                if not fits:
                    self.report(node, "labels", f".{name}({''.join(l + ':' for l in labels)}) is no case of the core's "
                                                f"({', '.join(n + '.' + name + '(' + ''.join(l + ':' for l in c.labels) + ')' for n, c in found)})")
                elif len(fits) == 1:
                    for v, ty in zip(values, fits[0][1].types):
                        self.type_of(v, env, ty)
                    return fits[0][0]
        for v in values:
            self.type_of(v, env)
        for lam in lambdas:
            self.visit_lambda(lam, env)
        return None

    # ------------------------------------------------------------ conformances

    def conformances(self, root):
        for node in walk_types(root):
            name = next((ident(self.txt(c)).split(".")[-1] for c in node.children
                         if c.type in ("type_identifier", "user_type")), None)
            own = self.t.own.types.get(name)
            if own is None:
                continue
            supers = [ident(self.txt(c)).split(".")[-1] for c in node.children if c.type == "inheritance_specifier"]
            for proto in supers:
                p = self.t.protocol(proto)
                if p is None:
                    continue
                for req_name, reqs in p.methods.items():
                    for req in reqs:
                        self.checked += 1
                        impl = next((f for f in own.methods.get(req_name, []) if f.labels == req.labels), None)
                        if impl is None:
                            self.report(node, "conformance", f"{name} conforms to {proto} but lacks "
                                                             f"{req_name}({''.join(l + ':' for l in req.labels)})")
                            continue
                        diffs = []
                        if impl.is_async != req.is_async:
                            diffs.append("async" if req.is_async else "not async")
                        if impl.throws != req.throws:
                            diffs.append("throws" if req.throws else "does not throw")
                        if (impl.returns or "Void") != (req.returns or "Void"):
                            diffs.append(f"returns {req.returns or 'Void'}")
                        if diffs:
                            self.report(node, "conformance", f"{name}.{req_name} must be as {proto} declares it: {', '.join(diffs)}")
                        iso_protocol = p.main_actor
                        if own.main_actor and not iso_protocol and not impl.nonisolated:
                            self.report(node, "isolation", f"{name} is @MainActor: {req_name} (for {proto}, called "
                                                           "from the core's threads) must be nonisolated")


def module_of(rel):
    """The Swift module a file of ios/ belongs to (`HoumonAppLogic`, `App`)."""
    parts = rel.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "Sources" else "App"


def walk_shallow(node, types):
    for c in node.children:
        if c.type in types:
            yield c


def walk_types(node):
    for c in node.children:
        if c.type in ("class_declaration", "protocol_declaration"):
            yield c
            for b in c.children:
                if b.type in ("class_body", "enum_class_body"):
                    yield from walk_types(b)


def register_prop_inits(checker, rel, src, tree):
    """Remembers the initialisers of stored properties declared without a
    type, so that their type can be inferred when they are used."""
    for node in walk_types(tree.root_node):
        name = next((ident(text(src, c)).split(".")[-1] for c in node.children
                     if c.type in ("type_identifier", "user_type")), None)
        for body in node.children:
            if body.type not in ("class_body", "enum_class_body"):
                continue
            for m in body.named_children:
                if m.type != "property_declaration" or any(c.type == "type_annotation" for c in m.children):
                    continue
                kids = m.children
                value = next((kids[i + 1] for i, c in enumerate(kids) if c.type == "=" and i + 1 < len(kids)), None)
                pat = next((c for c in kids if c.type == "pattern"), None)
                if value is not None and pat is not None:
                    checker.prop_inits[(name, ident(text(src, pat)))] = (src, value, rel)


def shadowing(types, rel_of):
    out = []
    for name, t in types.own.types.items():
        if t.kind != "extension" and name in types.core_names:
            where = sorted(rel_of(f) for f in t.files)[0]
            out.append(Finding(where, "shadow", f"the app declares {name}, which the core also declares "
                                                "(rename the app's: uses would mean a different type in each module)"))
    return out

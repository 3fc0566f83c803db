"""Declarations read from Swift source with tree-sitter's Swift grammar:
types (classes, structs, enums, protocols, extensions) with their methods,
initialisers, properties and enum cases, and free functions, each with
argument labels, parameter types, `async`/`throws` and return type.

Used for the generated bindings (public declarations only) and for the
hand-written app (everything), so that uses of either can be checked."""
import re
from dataclasses import dataclass, field

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))


def parse(src: bytes):
    return PARSER.parse(src)


def text(src, node):
    return src[node.start_byte:node.end_byte].decode()


def ident(s):
    return s.strip("`")


def walk(node):
    yield node
    for c in node.children:
        yield from walk(c)


TYPE_NODES = ("user_type", "optional_type", "array_type", "dictionary_type", "function_type",
              "tuple_type", "opaque_type", "existential_type", "metatype", "protocol_composition_type")


def norm_type(t):
    """A type as text, without spaces or comments (`[QueueRow]`, `AppView?`)."""
    t = re.sub(r"/\*.*?\*/", "", t, flags=re.S)
    t = re.sub(r"\s+", "", t)
    t = t.replace("Swift.", "").replace("Foundation.", "")
    return t


def unopt(t):
    if t is None:
        return None
    while t.endswith("?") or t.endswith("!"):
        t = t[:-1]
    m = re.fullmatch(r"Optional<(.+)>", t)
    return unopt(m.group(1)) if m else t


def element(t):
    """The element type of an array or set type, else None."""
    t = unopt(t)
    if t is None:
        return None
    m = re.fullmatch(r"\[([^:\[\]]+)\]", t) or re.fullmatch(r"(?:Set|Array)<(.+)>", t)
    return m.group(1) if m else None


def simple_name(t):
    """The nominal type a member is looked up on (`AppView?` -> `AppView`)."""
    t = unopt(t)
    if t is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", t):
        return None
    return t.split(".")[-1]


@dataclass
class Param:
    label: str          # the argument label, "_" for none
    type: str | None
    default: bool


@dataclass
class Func:
    name: str
    params: list
    is_async: bool = False
    throws: bool = False
    returns: str | None = None
    static: bool = False
    nonisolated: bool = False
    line: int = 0

    @property
    def labels(self):
        return tuple(p.label for p in self.params)


@dataclass
class Case:
    name: str
    labels: tuple       # "_" for an unlabelled associated value
    types: tuple
    defaults: tuple = ()  # whether each value has a default (`cardKind: MynaCardKind? = nil`)


@dataclass
class TypeDecl:
    name: str
    kind: str           # class, struct, enum, protocol, extension
    methods: dict = field(default_factory=dict)    # name -> [Func]
    statics: dict = field(default_factory=dict)    # name -> [Func]
    inits: list = field(default_factory=list)      # [Func]
    props: dict = field(default_factory=dict)      # name -> type (or None: unknown)
    static_props: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)      # name -> Case
    supers: list = field(default_factory=list)
    main_actor: bool = False
    files: set = field(default_factory=set)
    public: bool = False
    public_members: set = field(default_factory=set)
    # Stored instance properties: (name, access, is_let, has_initial_value, wrapped).
    stored: list = field(default_factory=list)


def modifiers(src, node):
    for c in node.children:
        if c.type == "modifiers":
            return text(src, c)
    return ""


def is_public(src, node):
    m = modifiers(src, node)
    return bool(re.search(r"\b(public|open)\b", m))


def declared_name(src, decl):
    for c in decl.children:
        if c.type in ("simple_identifier", "type_identifier"):
            return ident(text(src, c))
        if c.type == "user_type":
            return ident(text(src, c)).split(".")[-1]
    return None


def type_child(src, node):
    for c in node.children:
        if c.type in TYPE_NODES:
            return norm_type(text(src, c))
    return None


def params_of(src, decl):
    out = []
    kids = decl.children
    for i, p in enumerate(kids):
        if p.type != "parameter":
            continue
        ids = [c for c in p.children if c.type == "simple_identifier"]
        label = ident(text(src, ids[0])) if ids else "_"
        default = i + 1 < len(kids) and kids[i + 1].type == "="
        out.append(Param(label, type_child(src, p), default))
    return out


def func_of(src, node):
    kids = node.children
    ret = None
    for i, c in enumerate(kids):
        if c.type == "->" and i + 1 < len(kids):
            ret = norm_type(text(src, kids[i + 1]))
    mods = modifiers(src, node)
    return Func(
        name=declared_name(src, node) if node.type != "init_declaration" else "init",
        params=params_of(src, node),
        is_async=any(c.type == "async" for c in kids),
        throws=any(c.type == "throws" for c in kids),
        returns=ret,
        static=bool(re.search(r"\b(static|class)\b", mods)),
        nonisolated="nonisolated" in mods,
        line=node.start_point[0] + 1,
    )


def case_params(src, params):
    """`(mode: IdentityMode, /** doc */ line: String, _ x: Int = 0)`: labels,
    types and which have defaults."""
    labels, types, defaults = [], [], []
    pending = None
    after_eq = False
    for k in params.children:
        if k.type == "=":
            if defaults:
                defaults[-1] = True
            after_eq = True
            continue
        if k.type == ",":
            after_eq = False
        if after_eq or k.type in ("(", ")", ",", ":") or "comment" in k.type:
            continue
        if k.type == "simple_identifier":
            pending = ident(text(src, k))
            continue
        if k.type in TYPE_NODES:
            labels.append(pending if pending is not None else "_")
            types.append(norm_type(text(src, k)))
            defaults.append(False)
            pending = None
    return tuple(labels), tuple(types), tuple(defaults)


def kind_of(src, node):
    if node.type == "protocol_declaration":
        return "protocol"
    for c in node.children:
        if c.type in ("class", "struct", "enum", "extension", "actor"):
            return c.type
    return "class"


def property_names(src, node):
    """The names a property declaration binds (`let a`, `var b: T = ...`)."""
    out = []
    for c in node.children:
        if c.type == "pattern":
            names = [ident(text(src, i)) for i in c.children if i.type == "simple_identifier"]
            if len(names) == 1:
                out.append(names[0])
    return out


class Model:
    """Declarations of one body of Swift source (the bindings, or the app)."""

    def __init__(self):
        self.types = {}        # name -> TypeDecl (extensions merged into their type)
        self.functions = {}    # name -> [Func]
        self.imports = {}      # file -> [module]

    def type(self, name, kind):
        t = self.types.get(name)
        if t is None:
            t = self.types[name] = TypeDecl(name, kind)
        elif t.kind == "extension" and kind != "extension":
            t.kind = kind
        return t

    def add(self, path, src, public_only):
        tree = parse(src)
        self.imports[path] = [
            text(src, c).split()[-1] for c in tree.root_node.children if c.type == "import_declaration"
        ]
        for node in tree.root_node.children:
            self._top(src, node, public_only, path)
        return tree

    def _top(self, src, node, public_only, path):
        if node.type == "function_declaration":
            if not public_only or is_public(src, node):
                f = func_of(src, node)
                self.functions.setdefault(f.name, []).append(f)
        elif node.type in ("class_declaration", "protocol_declaration"):
            kind = kind_of(src, node)
            if public_only and kind != "extension" and not is_public(src, node):
                return
            name = declared_name(src, node)
            if name is None:
                return
            t = self.type(name, kind)
            t.files.add(path)
            t.public = t.public or is_public(src, node)
            t.supers += [ident(text(src, c)).split(".")[-1].split("<")[0]
                         for c in node.children if c.type == "inheritance_specifier"]
            t.main_actor = t.main_actor or "@MainActor" in modifiers(src, node)
            for body in node.children:
                if body.type in ("class_body", "protocol_body", "enum_class_body"):
                    self._members(src, body, t, public_only)

    def _members(self, src, body, t, public_only):
        member_public = lambda m: not public_only or t.kind in ("protocol", "extension") or is_public(src, m)
        for m in body.children:
            if is_public(src, m) or (t.kind in ("protocol", "enum") and t.public):
                names = property_names(src, m) if m.type == "property_declaration" else [
                    "init" if m.type == "init_declaration" else declared_name(src, m)]
                t.public_members.update(n for n in names if n)
            if m.type in ("function_declaration", "protocol_function_declaration"):
                if not member_public(m):
                    continue
                f = func_of(src, m)
                (t.statics if f.static else t.methods).setdefault(f.name, []).append(f)
            elif m.type == "init_declaration":
                if member_public(m):
                    t.inits.append(func_of(src, m))
            elif m.type in ("property_declaration", "protocol_property_declaration"):
                if not member_public(m):
                    continue
                static = bool(re.search(r"\b(static|class)\b", modifiers(src, m)))
                if not static and m.type == "property_declaration" and not any(
                        c.type == "computed_property" for c in m.children):
                    mods = modifiers(src, m)
                    access = next((a for a in ("private", "fileprivate", "public", "open") if re.search(
                        rf"(?<![\w(]){a}(?![\w(])", mods)), "internal")
                    wrapper = re.search(r"@(?!MainActor|objc|nonobjc|available|discardableResult)\w+(\([^)]*\))?", mods)
                    has_init = any(c.type == "=" for c in m.children) or bool(wrapper and wrapper.group(1))
                    is_let = any(text(src, c) == "let" for c in m.children if c.type == "value_binding_pattern")
                    for name in property_names(src, m):
                        t.stored.append((name, access, is_let, has_init, bool(wrapper)))
                ann = next((c for c in m.children if c.type == "type_annotation"), None)
                ty = type_child(src, ann) if ann is not None else None
                for name in property_names(src, m):
                    (t.static_props if static else t.props)[name] = ty
            elif m.type == "enum_entry":
                name = None
                for c in m.children:
                    if c.type == "simple_identifier":
                        if name is not None:
                            t.cases.setdefault(name, Case(name, (), ()))
                        name = ident(text(src, c))
                    elif c.type == "enum_type_parameters" and name is not None:
                        labels, types, defaults = case_params(src, c)
                        t.cases[name] = Case(name, labels, types, defaults)
                        name = None
                if name is not None:
                    t.cases.setdefault(name, Case(name, (), ()))


def readable_bindings(src):
    """The generated bindings as tree-sitter's Swift grammar reads them: it
    does not take `#if` around an attribute, nor the closure `{ () }`. Both
    are private plumbing; the public declarations are untouched."""
    s = re.sub(rb"#if swift\(>=5\.8\)\n\s*@_documentation\(visibility: private\)\n#endif\n", b"", src)
    return s.replace(b"{ () }", b"{ }")


def bindings_model(src: bytes, path="HoumonCore.swift"):
    model = Model()
    tree = model.add(path, readable_bindings(src), public_only=True)
    if tree.root_node.has_error:
        raise SystemExit(f"{path}: the grammar does not read the bindings whole; the checks would miss declarations")
    # The generated `FooImpl` classes and `FooProtocol`s repeat what `Foo` declares.
    for name in [n for n in model.types if n.endswith("Impl") or n.endswith("Protocol")]:
        if name[:-4] in model.types or name[:-8] in model.types:
            model.types.pop(name)
    return model

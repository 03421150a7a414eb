"""Read `behaviour.py` before it runs: undefined names and misspelled device attributes.

`museokit check` (and every load) refuses, with the line, the name and a suggestion:

    behaviour.py:3: installation.toml has no device 'dor' — did you mean 'door'?
    behaviour.py:9: undefined name 'lmap' — did you mean 'lamp'?
    behaviour.py:12: lamp (led) has no attribute 'blnk' — did you mean 'blink'?
    behaviour.py:15: door (button) has no event 'presed' for when_presed — did you mean 'when_pressed'?

Only the standard library: `ast` finds the names and attributes, `symtable` says which
scope each name belongs to, exactly as Python will resolve it. A device is a name
imported from `museokit.installation`, or (files written before that import) a device
id used as a global; its class comes from the kind in installation.toml, so `lamp.blnk`
is caught although no linter could know what `lamp` is.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import symtable
import textwrap
from collections.abc import Iterator
from pathlib import Path

from museokit.core.config import ConfigIssue, Installation
from museokit.core.device import Device
from museokit.core.suggest import suggest

INSTALLATION_MODULE = "museokit.installation"
#: Globals `behaviour.load` gives the module besides its devices (kept for older files).
INJECTED = frozenset({"options", "log"})
#: What `from museokit import …` offers, for the hint on a name used but not imported.
API = frozenset({"after", "device", "emit", "enter", "every", "goto", "lockout", "log", "on",
                 "options", "state", "Event"})
_MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__spec__", "__loader__",
                           "__package__", "__builtins__", "__annotations__", "__dict__"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPE_NAMES = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp",
                ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}


def check_behaviour(path: Path, installation: Installation) -> list[ConfigIssue]:
    """Every problem found in the behaviour file, in line order (none if it does not parse:
    the installation check reports syntax errors)."""
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, str(path))
        table = symtable.symtable(source, str(path), "exec")
    except (SyntaxError, ValueError, OSError, UnicodeDecodeError):
        return []
    devices = {d.id: d.cls for d in installation.devices}
    linter = _Linter(str(path), installation.file.name, table, devices,
                     installation.event_names())
    linter.visit(tree)
    return sorted(linter.issues, key=lambda i: i.line or 0)


class _Linter(ast.NodeVisitor):
    def __init__(self, file: str, toml: str, module: symtable.SymbolTable,
                 devices: dict[str, type[Device]], events: dict[str, tuple[str, ...]]) -> None:
        self.file, self.toml = file, toml
        self.devices, self.events = devices, events
        #: Scopes by (name, line), in source order (two lambdas may share a line).
        self.tables: dict[tuple[str, int], list[symtable.SymbolTable]] = {}
        for t in _all_tables(module):
            self.tables.setdefault((t.get_name(), t.get_lineno()), []).append(t)
        self.stack = [module]
        module_syms = {s.get_name(): s for s in module.get_symbols()}
        self.bound = {n for n, s in module_syms.items() if s.is_local() or s.is_imported()}
        # `global x` then `x = 1` in a function binds x in the module too.
        self.bound |= {s.get_name() for t in _all_tables(module) for s in t.get_symbols()
                       if s.is_declared_global() and s.is_assigned()}
        #: Names bound in a class body, which its methods reach only as `self.name`.
        self.class_names = {s.get_name(): t.get_name() for t in _all_tables(module)
                            if t.get_type() == "class" for s in t.get_symbols() if s.is_local()}
        self.star = False
        #: Names bound by `from museokit import device [as d]`, to check `device("dor")`.
        self.api: dict[str, str] = {}
        #: Names bound to a device by `from museokit.installation import door [as d]`.
        self.imported: dict[str, str] = {}
        self.issues: list[ConfigIssue] = []
        self._seen: set[tuple[int, str]] = set()

    def issue(self, node: ast.AST, message: str, hint: str = "") -> None:
        line = getattr(node, "lineno", None)
        if (line or 0, message) not in self._seen:
            self._seen.add((line or 0, message))
            self.issues.append(ConfigIssue(self.file, line, "", message, hint))

    # -- scopes -------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Module):
            imports = [n for n in ast.walk(node) if isinstance(n, ast.ImportFrom)]
            self.star = any(a.name == "*" and n.module != INSTALLATION_MODULE
                            for n in imports for a in n.names)
            # Known before any function body is read, wherever the import line is.
            self.imported = {a.asname or a.name: a.name for n in imports for a in n.names
                             if n.module == INSTALLATION_MODULE and a.name in self.devices}
            self.api = {a.asname or a.name: a.name for n in imports for a in n.names
                        if n.module == "museokit"}
        if not isinstance(node, _SCOPES):
            super().visit(node)
            return
        name = getattr(node, "name", None) or _SCOPE_NAMES.get(type(node), "")
        # Decorators, defaults and bases are evaluated in the enclosing scope.
        outer: list[ast.AST] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            outer += node.decorator_list
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            outer += [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        if isinstance(node, ast.ClassDef):
            outer += [*node.bases, *node.keywords]
        for child in outer:
            self.visit(child)
        same_line = self.tables.get((name, node.lineno))
        # A scope symtable does not show (an inlined comprehension) resolves outside it.
        table = same_line.pop(0) if same_line else self.stack[-1]
        self.stack.append(table)
        try:
            for field, value in ast.iter_fields(node):
                if field in ("decorator_list", "bases", "keywords"):
                    continue
                if field == "args" and isinstance(value, ast.arguments):
                    continue  # parameters bind names; their defaults were visited above
                for child in value if isinstance(value, list) else [value]:
                    if isinstance(child, ast.AST):
                        self.visit(child)
        finally:
            self.stack.pop()

    def is_global(self, name: str) -> bool:
        """Does `name`, used in the current scope, mean the module's global?"""
        for table in reversed(self.stack[1:]):
            try:
                sym = table.lookup(name)
            except KeyError:
                continue
            if sym.is_global() or sym.is_declared_global():
                return True
            if sym.is_local() or sym.is_parameter() or sym.is_free() or sym.is_assigned():
                return False
        return True

    # -- imports --------------------------------------------------------------------
    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module != INSTALLATION_MODULE:
            return
        for alias in node.names:
            if alias.name == "*":
                self.issue(node, f"`from {INSTALLATION_MODULE} import *` imports no device",
                           "name them: from museokit.installation import "
                           + ", ".join(list(self.devices)[:3]))
            elif alias.name not in self.devices:
                hint = (suggest(alias.name, self.devices)
                        or f"its devices: {', '.join(self.devices) or 'none'}")
                self.issue(node, f"{self.toml} has no device {alias.name!r}", hint)

    # -- names and attributes -------------------------------------------------------
    def device_of(self, node: ast.expr) -> str | None:
        """The device id `node` names, if it is one."""
        if not isinstance(node, ast.Name) or not self.is_global(node.id):
            return None
        if node.id in self.imported:
            return self.imported[node.id]
        if node.id in self.devices and node.id not in self.bound:
            return node.id  # a device injected as a global (files older than the import)
        return None

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if (not isinstance(node.ctx, ast.Load) or self.star or not self.is_global(name)
                or name in self.bound or name in self.devices or name in INJECTED
                or name in _MODULE_NAMES or hasattr(builtins, name)):
            return
        if name in API:
            hint = f"import it: from museokit import {name}"
        elif name in self.class_names:
            hint = f"inside class {self.class_names[name]}, write self.{name}"
        else:
            known = [*self.bound, *self.devices, *INJECTED, *API]
            hint = suggest(name, known) or suggest(name, dir(builtins))
            hint = hint or "define it, import it, or declare a device with this id"
        self.issue(node, f"undefined name {name!r}", hint)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func, args = node.func, node.args
        if (isinstance(func, ast.Name) and self.api.get(func.id) == "device" and args
                and self.is_global(func.id) and isinstance(args[0], ast.Constant)
                and isinstance(args[0].value, str) and args[0].value not in self.devices):
            hint = (suggest(args[0].value, self.devices)
                    or f"its devices: {', '.join(self.devices) or 'none'}")
            self.issue(node, f"{self.toml} has no device {args[0].value!r}", hint)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.generic_visit(node)
        dev_id = self.device_of(node.value)
        if dev_id is None or node.attr.startswith("_"):
            return
        cls = self.devices[dev_id]
        who = f"{dev_id} ({cls.kind})"
        attr = node.attr
        if attr.startswith("when_"):
            callbacks = [f"when_{e}" for e in self.events.get(dev_id, cls.all_events())]
            if attr not in callbacks:
                self.issue(node, f"{who} has no event {attr[5:]!r} for {attr}",
                           suggest(attr, callbacks) or f"its callbacks: {', '.join(callbacks)}")
            return
        if isinstance(node.ctx, ast.Store):
            return  # a maker may keep their own value on a device
        if hasattr(cls, attr):
            return  # a command, a property, a method: no need to read any source
        known = device_attributes(cls)
        if known is not None and attr not in known:
            public = sorted(a for a in known if not a.startswith("_"))
            self.issue(node, f"{who} has no attribute {attr!r}",
                       suggest(attr, public) or f"its commands: {', '.join(sorted(cls.commands))}")


def _all_tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _all_tables(child)


_attributes: dict[type[Device], frozenset[str] | None] = {}


def device_attributes(cls: type[Device]) -> frozenset[str] | None:
    """What a device of this class has: its class's attributes, the ones its methods set on
    `self`, and `when_<event>`. None when a class's source cannot be read (nothing is then
    refused, rather than something wrongly). Read only for a name the class itself lacks,
    so a correct behaviour costs no source reading at load."""
    if cls not in _attributes:
        _attributes[cls] = _read_attributes(cls)
    return _attributes[cls]


def _read_attributes(cls: type[Device]) -> frozenset[str] | None:
    names = set(dir(cls)) | {f"when_{e}" for e in cls.all_events()}
    for klass in cls.__mro__:
        if klass is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            return None
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "self" and isinstance(node.ctx, ast.Store)):
                names.add(node.attr)
    return frozenset(names)

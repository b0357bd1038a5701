"""Checks a Python program's calls into a generated Pulumi SDK without
installing pulumi (PyPI is not reachable here): every keyword argument of a
call to one of the SDK's classes must be a parameter of that class's
__init__, and a literal argument must match a str, int or bool annotation.

usage: python3 check_python.py SDK_PACKAGE_DIR PROGRAM.py
Exits 1 listing each problem as FILE:LINE: message.
"""

import ast
import pathlib
import sys


def sdk_signatures(package_dir):
    """Maps each class of the SDK to {parameter: annotation source}."""
    sigs = {}
    for path in sorted(pathlib.Path(package_dir).glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            params = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    for a in item.args.args[1:] + item.args.kwonlyargs:
                        params[a.arg] = ast.unparse(a.annotation) if a.annotation else ""
            if params:
                sigs.setdefault(node.name, {}).update(params)
    return sigs


LITERAL_TYPES = {str: "_builtins.str", int: "_builtins.int", bool: "_builtins.bool"}


def check(package_dir, program):
    sigs = sdk_signatures(package_dir)
    tree = ast.parse(pathlib.Path(program).read_text(), program)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        on_sdk = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "selfhealing"
        if on_sdk and name not in sigs:
            problems.append(f"{program}:{node.lineno}: the SDK has no class {name!r}")
            continue
        if name not in sigs:
            continue
        params = sigs[name]
        for kw in node.keywords:
            if kw.arg is None:
                continue
            if kw.arg not in params:
                problems.append(f"{program}:{kw.lineno}: {name} has no argument {kw.arg!r}")
                continue
            if isinstance(kw.value, ast.Constant) and type(kw.value.value) in LITERAL_TYPES:
                want = LITERAL_TYPES[type(kw.value.value)]
                if want not in params[kw.arg]:
                    problems.append(
                        f"{program}:{kw.lineno}: {name}({kw.arg}=...) takes {params[kw.arg]}, "
                        f"not {type(kw.value.value).__name__}")
    return problems


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(sys.argv[1], sys.argv[2])
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

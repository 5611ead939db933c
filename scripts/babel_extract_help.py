"""Babel extraction of command help: the docstrings of click commands and the `help=` texts of options.

Click shows a command's docstring (cleaned like inspect.cleandoc) as its help; the CLI translates it when
it is shown (cli/base.py), so the catalogue needs exactly that text. Used by ``make i18n`` through
babel.cfg; never at run time.
"""

from __future__ import annotations

import ast
import inspect


def extract_command_help(fileobj, keywords, comment_tags, options):
    """Babel's own Python extraction (_(), ngettext(), N_()), plus the commands' help texts."""
    import io

    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_command(decorator) for decorator in node.decorator_list):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.lineno, None, inspect.cleandoc(docstring), []
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "help":
                    text = _constant_text(keyword.value)
                    if text:
                        yield keyword.value.lineno, None, text, []


def _is_command(decorator) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in ("command", "group")


def _constant_text(value) -> str | None:
    """A string literal, also one written as implicitly concatenated pieces ("a " "b")."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None

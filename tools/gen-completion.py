#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Writes heaptrace's bash or zsh completion from the options that the built
binary lists in `heaptrace --help` (argp's table in user/main.c, the one
list), so that completion cannot drift from the options heaptrace parses.

    gen-completion.py bash|zsh TEMPLATE HEAPTRACE > OUT

TEMPLATE (completion/) holds each shell's code; this fills in its @...@
markers. What an option's argument completes to is decided by its name in
--help (PID, FILE, DIR...), so that a new option needs no edit here."""
import re
import subprocess
import sys
from dataclasses import dataclass

# argp's option lines: "  -p, --pid=PID    Attach...", "      --hot    Also...",
# continued by lines indented to the description column.
OPTION_LINE = re.compile(r"^ {2,6}(?P<names>(?:-[^-\s], )*(?:-[^-\s]|--[a-z0-9][a-z0-9-]*))"
                         r"(?P<arg>\[?=[^\s\]]+\]?)?(?: {2,}(?P<desc>.*))?$")
CONTINUATION = re.compile(r"^ {8,}(?P<desc>\S.*)$")

# An argument's name in --help -> what to offer for it. Anything else is a
# value to type (DUR, N, HOST:PORT...): nothing to offer.
COMPLETES = {"PID": "go_pid", "FILE": "file", "GLOB": "file", "DIR": "dir", "USER": "user"}
# argp's own options, which end the command line's meaning.
STANDALONE = {"--help", "--usage", "--version"}


@dataclass
class Option:
    names: list      # "-p", "--pid"
    arg: str         # "PID", or "" for a flag
    desc: str

    @property
    def completes(self):
        return COMPLETES.get(self.arg, "value") if self.arg else None


def parse_help(text):
    """The options of an argp --help text, in its order."""
    options, current = [], None
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            arg = (m["arg"] or "").strip("[]=")
            current = Option(m["names"].split(", "), arg, m["desc"] or "")
            options.append(current)
            continue
        m = CONTINUATION.match(line)
        if current and m:
            current.desc = f"{current.desc} {m['desc']}".strip()
        else:
            current = None
    if not any("--help" in o.names for o in options):
        sys.exit("gen-completion: no options found in --help: has argp's layout changed?")
    return options


# --help's usage lines: "USAGE: heaptrace [OPTIONS] -p PID", "       heaptrace --all ...".
USAGE_LINE = re.compile(r"^(?:USAGE:)?\s+heaptrace\s+(?P<rest>.*)$")


def modes(help_text, options):
    """The options that choose what heaptrace does: the first word after
    [OPTIONS] of each usage line (-p, --list-probes, --all), with each
    one's other names ("--" is not an option to offer)."""
    firsts = set()
    for line in help_text.splitlines():
        m = USAGE_LINE.match(line)
        if not m:
            continue
        words = [w for w in m["rest"].split() if not w.startswith("[")]
        if words and words[0] != "--":
            firsts.add(words[0])
    return [n for o in options if firsts & set(o.names) for n in o.names]


def bash(options, help_text):
    """@OPTIONS@: the words to offer; @MODES@: those that choose a mode;
    @ARG_CASES@: one case arm per kind of argument, naming the options that
    take it."""
    words = " ".join(n for o in options for n in o.names)
    mode_words = modes(help_text, options)
    if not {"--pid", "--list-probes", "--all"} <= set(mode_words):
        sys.exit("gen-completion: no modes found in --help's usage lines: has their layout changed?")
    by_kind = {}
    for o in options:
        if o.completes:
            by_kind.setdefault(o.completes, []).extend(o.names)
    arms = []
    for kind, names in by_kind.items():
        action = "return" if kind == "value" else f"_heaptrace_{kind}s; return"
        # "-?" would be a pattern: quote every name.
        arms.append("\t" + "|".join(f"'{n}'" for n in names) + f")\n\t\t{action} ;;")
    return {"OPTIONS": words, "MODES": " ".join(mode_words), "ARG_CASES": "\n".join(arms)}


def zsh_quote(text):
    """text inside a single-quoted _arguments spec: _arguments' own
    specials escaped, then the shell's quote."""
    text = re.sub(r"([\\\[\]:])", r"\\\1", text)
    return text.replace("'", "'\\''")


ZSH_ACTIONS = {"go_pid": "_heaptrace_go_pids", "file": "_files", "dir": "_files -/", "user": "_users",
               "value": " "}


def zsh(options, help_text):
    """@SPECS@: one _arguments spec per option, -p and --pid excluding each
    other, an argument both as --pid=PID and --pid PID."""
    specs = []
    for o in options:
        if set(o.names) & STANDALONE:
            exclude = "(- *)"
        else:
            exclude = f"({' '.join(o.names)})" if len(o.names) > 1 else ""
        forms = [n + ("" if not o.arg else "=" if n.startswith("--") else "+") for n in o.names]
        spec = f"[{zsh_quote(o.desc)}]"
        if o.arg:
            spec += f":{zsh_quote(o.arg)}:{ZSH_ACTIONS[o.completes]}"
        if len(forms) == 1:
            specs.append(f"\t\t'{exclude}{forms[0]}{spec}'")
        else:  # brace expansion: one spec per name
            names = ",".join(f"'{f}'" for f in forms)
            specs.append(f"\t\t'{exclude}'{{{names}}}'{spec}'")
    return {"SPECS": " \\\n".join(specs)}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("bash", "zsh"):
        sys.exit("usage: gen-completion.py bash|zsh TEMPLATE HEAPTRACE")
    shell, template, binary = sys.argv[1:]
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    fill = (bash if shell == "bash" else zsh)(parse_help(help_text), help_text)
    fill["GENERATED"] = ("Generated by tools/gen-completion.py from `heaptrace --help`: edit "
                         f"{template} or heaptrace's options, not this file.")
    with open(template) as f:
        out = f.read()
    for key, value in fill.items():
        out = out.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", out)
    if left:
        sys.exit(f"gen-completion: {template} has markers this script does not fill: {' '.join(left)}")
    sys.stdout.write(out)


if __name__ == "__main__":
    main()

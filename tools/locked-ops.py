#!/usr/bin/env python3
"""Executed atomic read-modify-writes in a callgrind profile.

    python3 tools/locked-ops.py callgrind.out [-v]

The profile must come from `valgrind --tool=callgrind --dump-instr=yes`.
Counts every executed x86-64 instruction that takes a cache line exclusively
and drains the store buffer: `lock`-prefixed ones, `xchg` with memory (locked
implicitly; a SeqCst store compiles to it) and `mfence`. Callgrind counts each
RMW as one instruction, but each costs tens of cycles, and more when another
core holds the line: two paths with equal instruction counts can differ here.
Prints the total; `-v` lists each site executed, with its function.
"""
import re
import subprocess
import sys
from collections import defaultdict

# Callgrind names objects, files and functions once as `ob=(3) /path` and
# then refers to them as `ob=(3)`; `calls=` is followed by the call's
# inclusive cost line, which is not an instruction of this function.
NAME = re.compile(r"^(c?ob|c?fn|c?fl|fi|fe)=\((\d+)\)(?: (.*))?$")
LOCKED = re.compile(r"^(lock\b|xchg\S*\s+\S*\(|mfence\b)")


def executions(path):
    """(object path, address) -> times executed."""
    counts = defaultdict(int)
    names, obj, last, after_call = {}, None, 0, False
    with open(path) as profile:
        for line in profile:
            match = NAME.match(line.rstrip("\n"))
            if match:
                kind, ident, name = match.groups()
                if name:
                    names[(kind.lstrip("c"), ident)] = name
                if kind == "ob":
                    obj = names.get(("ob", ident))
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if not line or line[0] not in "+-*0":
                continue
            fields = line.split()
            position = fields[0]
            if position == "*":
                address = last
            elif position[0] in "+-":
                address = last + int(position)
            else:
                address = int(position, 16)
            last = address
            if after_call:
                after_call = False
                continue
            counts[(obj, address)] += int(fields[-1])
    return counts


def locked_sites(obj):
    """address -> (function, instruction) for each locked instruction of obj.
    Callgrind gives addresses as offsets in the file, as objdump does."""
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", obj],
        capture_output=True, text=True, check=True,
    ).stdout
    sites, function = {}, "?"
    for line in listing.splitlines():
        match = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if match:
            function = match.group(1)
            continue
        match = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if match and LOCKED.search(match.group(2).strip()):
            sites[int(match.group(1), 16)] = (function, match.group(2).strip())
    return sites


def main():
    counts = executions(sys.argv[1])
    verbose = "-v" in sys.argv[2:]
    total = 0
    for obj in sorted({o for o, _ in counts if o and o.startswith("/")}):
        for address, (function, instruction) in sorted(locked_sites(obj).items()):
            n = counts.get((obj, address), 0)
            total += n
            if n and verbose:
                print(f"{n:10d}  {instruction:40.40s} {function[:100]}")
    print(total)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fails when modules import each other in a cycle (any length), outside unit tests.

A module is a top-level module of aimass-core (data, preprocess, algorithms, …) or a second-level
module of the extension (api::train, catalog::deployments, scoring::cache, …). An edge A → B is a
`crate::B` path in A's code (tests and doc comments left out)."""
import os
import re
import sys


def modules(root, level):
    graph = {}
    for d, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(d, f)
            parts = os.path.relpath(path, root)[:-3].split("/")
            if parts[-1] in ("mod", "lib"):
                parts = parts[:-1]
            if not parts:
                continue
            name = "::".join(parts[:level])
            src = open(path).read()
            src = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", src, flags=re.S)
            src = re.sub(r"^\s*//.*$", "", src, flags=re.M)
            edges = graph.setdefault(name, set())
            for m in re.finditer(r"crate::((?:[a-z_]+::){0,%d}[a-z_]+)" % (level - 1), src):
                edges.add("::".join(m.group(1).split("::")[:level]))
            for m in re.finditer(r"crate::\{([^}]*)\}", src):
                edges.update(re.findall(r"\b([a-z_]+)\b", m.group(1)))
            if level == 2:
                for m in re.finditer(r"crate::([a-z_]+)::\{([^}]*)\}", src):
                    edges.update(f"{m.group(1)}::{b}" for b in re.findall(r"\b([a-z_]+)\b", m.group(2)))
            edges.discard(name)
            edges.discard("self")
    return {a: {b for b in bs if b in graph and not b.startswith(a + "::")} for a, bs in graph.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


found = [("aimass-core", c) for c in cycles(modules("aimass-core/src", 1))]
found += [("aimass", c) for c in cycles(modules("src", 2))]
for crate, c in found:
    print(f"{crate}: import cycle between {', '.join(c)}")
sys.exit(1 if found else 0)

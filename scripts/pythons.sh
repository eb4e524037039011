#!/usr/bin/env bash
# Prints "VERSION PATH" for each supported CPython (3.10-3.13) found on this
# machine: pyenv's interpreters first, then python3.X on PATH. With
# CI=true every supported version must be there (exit 1 naming the missing
# one), so no version is silently left untested.
set -euo pipefail

SUPPORTED=(3.10 3.11 3.12 3.13)
root="${PYENV_ROOT:-$HOME/.pyenv}"
missing=()
for version in "${SUPPORTED[@]}"; do
    found=""
    for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
        if [ -x "$candidate" ]; then found="$candidate"; fi
    done
    if [ -z "$found" ]; then
        found="$(command -v "python$version" || true)"
    fi
    if [ -n "$found" ] && "$found" -c 'import sys; assert sys.implementation.name == "cpython"' 2>/dev/null; then
        echo "$version $found"
    else
        missing+=("$version")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "pythons.sh: CPython ${missing[*]} not found; CI tests every supported Python" >&2
        exit 1
    fi
    echo "pythons.sh: CPython ${missing[*]} not found here; not tested" >&2
fi

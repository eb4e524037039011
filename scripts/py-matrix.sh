#!/usr/bin/env bash
# The Python suite (upstream suites and real-server tests included) on every
# supported CPython other than the default one, each in its own venv
# (.venv-py3.X) with requirements-test.txt and the wheel `make dist` built
# for it — so the wheels users install are the ones tested. On 3.13 the
# pool suites run a second time under forkserver, Python 3.14's default
# start method on Linux. A summary line per run goes to
# target/py-matrix/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

default="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
out=target/py-matrix
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
failed=()

run_suite() {  # name python log [pytest args...]
    local name="$1" python="$2" log="$3"
    shift 3
    local status=0
    timeout -s ABRT 1500 "$python" -m pytest -q -p no:cacheprovider "$@" > "$log" 2>&1 || status=$?
    local result
    # pytest's own summary line (noise printed at exit may follow it).
    result="$(grep -E "(passed|failed|error)[^=]* in [0-9.]+s" "$log" | tail -n 1)"
    echo "$name: $result" | tee -a "$summary"
    if [ "$status" -ne 0 ]; then
        grep -E "^(FAILED|ERROR)" "$log" | head -n 40 || true
        tail -n 40 "$log"
        failed+=("$name")
    fi
}

pythons="$(scripts/pythons.sh)"
while read -r version python; do
    [ "$version" = "$default" ] && continue
    venv=".venv-py$version"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    stamp="$venv/.deps-installed"
    if [ ! -f "$stamp" ] || [ requirements-test.txt -nt "$stamp" ]; then
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet -r requirements-test.txt
        touch "$stamp"
    fi
    tag="cp${version/./}"
    wheels=(dist/aioxide-*-"$tag"-"$tag"-*.whl)
    if [ ! -f "${wheels[0]}" ]; then
        echo "py-matrix: no $tag wheel in dist/ (make dist builds it)" >&2
        exit 1
    fi
    "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "${wheels[0]}"
    echo "py-matrix: Python $version ($python), ${wheels[0]}"
    run_suite "$version" "$venv/bin/python" "$out/$version.log" -m "not dist and not docs"
    if [ "$version" = "3.13" ]; then
        run_suite "$version forkserver" "$venv/bin/python" "$out/$version-forkserver.log" \
            --start-method=forkserver tests/test_multiprocess.py tests/test_pool_state_machine.py \
            tests/upstream/test_upstream_aiomultiprocess.py
    fi
done <<< "$pythons"

if [ ${#failed[@]} -gt 0 ]; then
    echo "py-matrix: failed on ${failed[*]} (logs in $out/)" >&2
    exit 1
fi

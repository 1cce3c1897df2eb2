#!/usr/bin/env python3
"""The shape the code keeps (issue 17): no function in src/ longer than 80 lines and no file
longer than 600, tests included. Function lengths come from lizard (a C++-aware counter);
a function past the limit is probably two. Prints the offenders and exits 1 if there are any.

    scripts/check_code_shape.py            # check
    scripts/check_code_shape.py --report   # also print the longest functions and files
"""
import pathlib
import sys

import lizard

MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 600
ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "src").rglob("*") if p.suffix in {".cpp", ".hpp"})


def main() -> int:
    functions, long_files = [], []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_FILE_LINES:
            long_files.append((lines, path))
        for f in lizard.analyze_file.analyze_source_code(str(path), text).function_list:
            functions.append((f.length, f"{path.relative_to(ROOT)}:{f.start_line}", f.long_name))
    functions.sort(reverse=True)
    too_long = [f for f in functions if f[0] > MAX_FUNCTION_LINES]
    for length, where, name in too_long:
        print(f"{where}: {name} is {length} lines (at most {MAX_FUNCTION_LINES})")
    for lines, path in long_files:
        print(f"{path.relative_to(ROOT)}: {lines} lines (at most {MAX_FILE_LINES})")
    if "--report" in sys.argv:
        print("longest functions:", *(f"  {l:3d} {w} {n}" for l, w, n in functions[:8]), sep="\n")
    print(f"code shape: {len(functions)} functions in {len(SOURCES)} files; "
          f"longest function {functions[0][0]} lines, longest file "
          f"{max(p.read_text(encoding='utf-8').count(chr(10)) for p in SOURCES)} lines")
    return 1 if too_long or long_files else 0


if __name__ == "__main__":
    sys.exit(main())

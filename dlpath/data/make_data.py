"""Make the real data sets shipped in this folder from the files their publishers distribute.

    pip download --no-deps scikit-learn palmerpenguins -d /tmp/wheels
    python dlpath/data/make_data.py digits /tmp/wheels/scikit_learn-*.whl
    python dlpath/data/make_data.py penguins /tmp/wheels/palmerpenguins-*.whl

Each command reads one data file out of the wheel (a zip archive: nothing is installed
and no code of the wheel runs), checks its sha256 against the one this script was
written for, rewrites it in the shipped format (dlpath/datasets/shipped.py: a header
row, numbers only, the class in the column `label`) and prints the sha256 of the table
it wrote, which <name>/SOURCE.txt records. The output depends only on the input file:
rows keep their order (the held-back split is a hash of the row's index) and the
gzip header carries no date.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> (the file inside the wheel, its sha256, the shipped table's name)
SOURCES = {
    "digits": ("sklearn/datasets/data/digits.csv.gz",
               "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22", "data.csv.gz"),
    "penguins": ("palmerpenguins/data/penguins.csv",
                 "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93", "data.csv"),
}
SPECIES = ("Adelie", "Chinstrap", "Gentoo")  # penguins' labels 0, 1, 2
MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


def digits(raw: bytes) -> list[list[str]]:
    """1,797 rows of 64 pixel counts (0..16, row by row of the 8x8 image) then the digit."""
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii"))))
    header = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)] + ["label"]
    table = [header]
    for row in rows:
        values = [int(float(v)) for v in row]
        assert len(values) == 65 and all(0 <= v <= 16 for v in values[:64]) and 0 <= values[64] <= 9, row
        table.append([str(v) for v in values])
    assert len(table) == 1 + 1797
    return table


def penguins(raw: bytes) -> list[list[str]]:
    """The four body measurements of each penguin measured (342 of 344), then its species."""
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    table = [list(MEASUREMENTS) + ["label"]]
    for row in rows:
        if any(row[m] == "NA" for m in MEASUREMENTS):
            continue  # two penguins have no measurement at all
        table.append([row[m] for m in MEASUREMENTS] + [str(SPECIES.index(row["species"]))])
    assert len(rows) == 344 and len(table) == 1 + 342
    return table


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in SOURCES:
        print(__doc__)
        return 2
    name, wheel = argv[0], Path(argv[1])
    member, expected, out_name = SOURCES[name]
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(member)
    found = hashlib.sha256(raw).hexdigest()
    if found != expected:
        print(f"{wheel}: {member} has sha256 {found}, not the {expected} this script was written for")
        return 1
    table = {"digits": digits, "penguins": penguins}[name](raw)
    text = "".join(",".join(row) + "\n" for row in table).encode("ascii")
    out = HERE / name / out_name
    out.parent.mkdir(exist_ok=True)
    if out.suffix == ".gz":
        with out.open("wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed:
            packed.write(text)
    else:
        out.write_bytes(text)
    if name == "penguins":
        (HERE / name / "classes.txt").write_text("".join(s + "\n" for s in SPECIES), encoding="ascii")
    print(f"{out}: {len(table) - 1} rows, {out.stat().st_size} bytes")
    print(f"sha256 of the table (uncompressed): {hashlib.sha256(text).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

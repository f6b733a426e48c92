"""Mainland China's part of phonenumbers' geocoding data, in Chinese, without loading the rest.

`phonenumbers.geocoder` imports the geocoding data of every country in every language at once:
about 100 MB of every process that reads a region (each web and worker process: the intake reads
the customer's region for the regulator's statistics). The regions of +86 numbers in Chinese are
130,000 prefixes and some 400 names, about 2 MB as two sorted arrays.

The table is extracted from the installed phonenumbers by a child process (so this process never
holds the whole data), once per phonenumbers version, into `PHONE_REGIONS_CACHE_DIR`; every
process after the first reads that file. When the directory cannot be written, the child's file
goes to a temporary directory and is read from there each time a process starts (slower, same
answers). tests/regulatory/test_region_table.py checks every prefix against the library.
"""

import json
import logging
import subprocess
import sys
import tempfile
from array import array
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

import phonenumbers
from django.conf import settings

log = logging.getLogger(__name__)

COUNTRY_CODE = 86

# Run by a child interpreter with the output path as its argument: only phonenumbers is imported.
EXTRACT = """
import json, os, sys
import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA
from phonenumbers.geodata.locale import LOCALE_DATA
rows = sorted((int(k), v["zh"]) for k, v in GEOCODE_DATA.items() if k.startswith("86") and "zh" in v)
names = sorted({name for _, name in rows})
index = {name: i for i, name in enumerate(names)}
table = {
    "phonenumbers": phonenumbers.__version__,
    "country": LOCALE_DATA["CN"]["zh"],
    "names": names,
    "prefixes": [p for p, _ in rows],
    "name_of": [index[name] for _, name in rows],
}
path = sys.argv[1]
with open(path + ".part", "w", encoding="utf-8") as out:
    json.dump(table, out, ensure_ascii=False, separators=(",", ":"))
os.replace(path + ".part", path)
"""


class RegionTable:
    """Longest-prefix lookup of an E.164 number's digits, as phonenumbers' geocoder does it."""

    def __init__(self, data: dict):
        self.version = data["phonenumbers"]
        self.country = data["country"]
        self.names = data["names"]
        self.prefixes = array("q", data["prefixes"])
        self.name_of = array("H", data["name_of"])
        self.longest = len(str(self.prefixes[-1])) if self.prefixes else 0

    def __len__(self) -> int:
        return len(self.prefixes)

    def name(self, prefix: str) -> str | None:
        """The name of exactly this prefix (digits of the number with its country code)."""
        key = int(prefix)
        i = bisect_left(self.prefixes, key)
        if i < len(self.prefixes) and self.prefixes[i] == key:
            return self.names[self.name_of[i]]
        return None

    def lookup(self, digits: str) -> str:
        """The name of the longest prefix of `digits` in the table; "" when none is."""
        for length in range(min(len(digits), self.longest), 0, -1):
            found = self.name(digits[:length])
            if found is not None:
                return found
        return ""


def _file_name() -> str:
    return f"phonenumbers-{phonenumbers.__version__}-cn-zh.json"


def _extract(path: Path) -> None:
    # our own interpreter and code, and a path of our own settings: no outside input
    subprocess.run([sys.executable, "-c", EXTRACT, str(path)], check=True, timeout=120)  # noqa: S603


def _read(path: Path) -> RegionTable:
    return RegionTable(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def cn_table() -> RegionTable:
    folder = Path(settings.PHONE_REGIONS_CACHE_DIR)
    path = folder / _file_name()
    if path.exists():
        return _read(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        log.warning("phone regions: %s is not writable (%s); extracting each start", folder, exc)
        with tempfile.TemporaryDirectory(prefix="phone-regions-") as scratch:
            path = Path(scratch) / _file_name()
            _extract(path)
            return _read(path)
    _extract(path)  # two processes at once both extract; os.replace makes either file whole
    log.info("phone regions: extracted %s", path)
    return _read(path)


def clear() -> None:
    """Forget the table read by this process (tests change the cache directory)."""
    cn_table.cache_clear()

"""Mainland China's phone regions from the extracted table give phonenumbers' own answers, and a
process that reads them never loads the geocoding data of the whole world."""

import json
import subprocess
import sys

import phonenumbers
import pytest
from phonenumbers import geocoder
from phonenumbers.geodata import GEOCODE_DATA

from regulatory import region_table
from regulatory.regions import describe, region_of
from tests.support.workers import ROOT


@pytest.fixture
def table_dir(tmp_path, settings):
    settings.PHONE_REGIONS_CACHE_DIR = tmp_path / "cache"
    region_table.clear()
    yield tmp_path / "cache"
    region_table.clear()


def _library(number: str) -> str:
    return geocoder.description_for_number(phonenumbers.parse(number, "CN"), "zh")


def test_every_chinese_prefix_is_in_the_table_with_its_name(table_dir):
    table = region_table.cn_table()
    chinese = {k: v["zh"] for k, v in GEOCODE_DATA.items() if k.startswith("86") and "zh" in v}
    assert len(table) == len(chinese) > 100_000
    assert table.version == phonenumbers.__version__
    assert all(table.name(prefix) == name for prefix, name in chinese.items())
    assert table.name("8699999999") is None


def test_numbers_of_every_landline_prefix_and_every_seventh_mobile_one_read_as_the_library(
    table_dir,
):
    prefixes = sorted(k for k in GEOCODE_DATA if k.startswith("86"))
    landline = [p for p in prefixes if not p.startswith("861")]
    mobile = [p for p in prefixes if p.startswith("861")][::7]
    numbers = [f"+{p}{'2345678'[: 12 - len(p)]}" for p in landline]  # area code + 8 digits
    numbers += [f"+{p}{'5678'[: 13 - len(p)]}" for p in mobile]  # 86 + 11 digits
    assert len(numbers) > 18_000
    differ = [n for n in numbers if describe(phonenumbers.parse(n, "CN")) != _library(n)]
    assert differ == []


@pytest.mark.parametrize(
    "number",
    [
        "+8613800138000",  # a mobile number: its city
        "+861085551234",  # a Beijing landline
        "+8675583765566",  # a Shenzhen landline
        "+864008001234",  # not geographic: the country
        "+868008101234",
        "+8612345",  # no known type: nothing
        "+85291234567",  # Hong Kong: phonenumbers' geocoder itself
        "+14155550123",
    ],
)
def test_special_numbers_read_as_the_library(number, table_dir):
    assert describe(phonenumbers.parse(number, "CN")) == _library(number)


def test_the_table_is_extracted_once_then_read_from_its_file(table_dir, monkeypatch):
    assert region_of("+8613800138000") == ("北京市", "北京市")
    files = list(table_dir.iterdir())
    assert [f.name for f in files] == [f"phonenumbers-{phonenumbers.__version__}-cn-zh.json"]
    assert json.loads(files[0].read_text())["country"] == "中国"

    def extract_again(path):
        raise AssertionError("extracted a second time")

    monkeypatch.setattr(region_table, "_extract", extract_again)
    region_table.clear()
    assert region_of("+8615012345678") == ("云南省", "昭通市")


def test_an_unwritable_cache_directory_still_gives_the_regions(tmp_path, settings):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.PHONE_REGIONS_CACHE_DIR = blocker / "cache"  # below a file: cannot be made
    region_table.clear()
    try:
        assert region_of("+8613600000000") == ("广东省", "广州市")
    finally:
        region_table.clear()
    assert blocker.read_text() == ""


def test_a_process_reading_chinese_regions_never_loads_the_world_data(tmp_path):
    code = (
        "import sys, django; django.setup()\n"
        "from regulatory.regions import region_of\n"
        "assert region_of('+8613800138000') == ('北京市', '北京市')\n"
        "assert region_of('+864008001234') == ('中国', '')\n"
        "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.geo')))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "PHONE_REGIONS_CACHE_DIR": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

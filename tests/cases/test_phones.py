import pytest

from cases.phones import InvalidPhone, lookup_carrier, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("+8613912345678", "china_mobile"),
        ("13812345678", "china_mobile"),
        ("+8615012345678", "china_mobile"),
        ("+8618612345678", "china_unicom"),
        ("+8613012345678", "china_unicom"),
        ("+8615512345678", "china_unicom"),
        ("+8618912345678", "china_telecom"),
        ("+8615312345678", "china_telecom"),
        ("+8617712345678", "china_telecom"),
        ("+8619212345678", "china_broadnet"),
    ],
)
def test_carrier_is_looked_up_from_the_prefix(number, carrier):
    assert lookup_carrier(normalize_phone(number, mobile_only=True)) == carrier


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a phone number"),
        ("12345", "not a valid phone number"),
        ("abc", "not a phone number"),
        ("+14155550123", "not a mainland-China number"),
        ("01012345678", "not a mobile number"),
        ("+861391234567", "not a valid phone number"),
        ("1" * 40, "at most 32 characters"),
    ],
)
def test_invalid_or_foreign_numbers_are_refused_with_a_reason(raw, message):
    with pytest.raises(InvalidPhone, match=message):
        normalize_phone(raw, mobile_only=True)


def test_normalising_gives_e164():
    assert normalize_phone("139 1234 5678") == "+8613912345678"
    assert normalize_phone("+86 139-1234-5678", mobile_only=True) == "+8613912345678"


def test_foreign_numbers_have_no_carrier_hint():
    assert lookup_carrier("+14155550123") == ""


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+8613912345678", "+86 139****5678"), ("+14155550123", "+14 ****0123"), ("", "")],
)
def test_masking_keeps_prefix_and_last_four(number, masked):
    assert mask_phone(number) == masked

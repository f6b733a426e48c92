"""Phone numbers: normalising, carrier lookup from the number prefix, masking.

The carrier comes from the number's prefix in libphonenumber's data. Since number portability
(携号转网) a number can move to another carrier and keep its prefix, so the looked-up carrier is a
hint, never proof.
"""

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

from cases.choices import Carrier

PORTABILITY_CAVEAT = (
    "Carrier by number prefix; number portability means the real carrier may differ."
)

_CARRIER_BY_NAME = {
    "China Mobile": Carrier.CHINA_MOBILE,
    "China Unicom": Carrier.CHINA_UNICOM,
    "China Telecom": Carrier.CHINA_TELECOM,
    "China Broadnet": Carrier.CHINA_BROADNET,
}
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, *, mobile_only: bool = False) -> str:
    """E.164 form of a number (`+8613912345678`); bare 11-digit numbers are read as Chinese.

    With `mobile_only`, anything but a valid mainland-China mobile number is refused.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("Enter a phone number.")
    if len(text) > 32:
        raise InvalidPhone("A phone number has at most 32 characters.")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"“{text}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"“{text}” is not a valid phone number.")
    if mobile_only:
        if number.country_code != 86:
            raise InvalidPhone(f"“{text}” is not a mainland-China number (+86).")
        if phonenumbers.number_type(number) not in _MOBILE_TYPES:
            raise InvalidPhone(f"“{text}” is not a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(term: str) -> str | None:
    """A search term in E.164 form if it is a phone number (`13912345678` → `+8613912345678`)."""
    try:
        return normalize_phone(term)
    except InvalidPhone:
        return None


def lookup_carrier(e164: str) -> str:
    """The carrier code for a Chinese mobile number's prefix, or "" when the data does not say."""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return ""
    if number.country_code != 86:
        return ""
    return _CARRIER_BY_NAME.get(carrier.name_for_number(number, "en"), "")


def mask_phone(e164: str) -> str:
    """`+8613912345678` → `+86 139****5678`; keeps the prefix (carrier) and the last four digits."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    if e164.startswith("+86") and len(digits) == 13:
        national = digits[2:]
        return f"+86 {national[:3]}****{national[-4:]}"
    if len(digits) <= 4:
        return "****"
    return f"+{digits[:2]} ****{digits[-4:]}"

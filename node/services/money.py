"""Money in minor units: how many decimals each currency has (ISO 4217)."""

from __future__ import annotations

# ISO 4217 currencies whose minor unit is not a hundredth; every other code has two decimals.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def currency_exponent(currency: str | None) -> int:
    """Decimal places of ``currency``'s minor unit (2 when unknown or not given)."""
    return _EXPONENTS.get(currency or "", 2)

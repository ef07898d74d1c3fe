"""Optional second factor (TOTP, django-otp) for city admins: who must pass it, and the QR code for enrolment."""

from __future__ import annotations

import io

from django.conf import settings

from dalian_minzheng.accounts.models import Role


# Who may enrol a device: the city admins (and superusers, who are above every role).
def may_enrol(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN)


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def must_enrol(user) -> bool:
    """A setting can make the second factor compulsory for city admins."""
    return settings.OTP_REQUIRED_FOR_CITY_ADMINS and may_enrol(user)


def needs_second_factor(user) -> bool:
    """Asked once at login: the answer is kept in the session so no page pays a query for it."""
    return must_enrol(user) or confirmed_device(user) is not None


def qr_svg(url: str) -> str:
    """The otpauth:// URL as an inline SVG (no image request, no data: URL for the CSP to allow)."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, which is not allowed inside HTML

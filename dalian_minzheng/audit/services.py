from __future__ import annotations

from dalian_minzheng.audit.models import AccessEvent, AccessKind


def record_access(
    *, user, kind: AccessKind, obj=None, detail: dict | None = None, row_count: int | None = None, request=None
) -> AccessEvent:
    """Record a sensitive read or an export, in the caller's transaction."""
    return AccessEvent.objects.create(
        kind=kind,
        user=user if user and user.is_authenticated else None,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        row_count=row_count,
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )

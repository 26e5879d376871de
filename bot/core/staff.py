"""Staff, their roles, and the audit log of what they saw and did."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.core.backend import Backend
from bot.core.errors import NotAuthorized, StaffError
from bot.core.models import AuditEntry, Role, StaffMember
from bot.storage import queries as q

# Which roles may do what; admins may do everything.
CASE_ROLES = frozenset({Role.ADMIN, Role.OFFICER})
ADMIN_ROLES = frozenset({Role.ADMIN})
POST_ROLES = frozenset({Role.ADMIN, Role.OFFICER, Role.EDITOR})  # outreach


async def role_of(conn: aiosqlite.Connection, user_id: int) -> Role | None:
    """The user's staff role, or None for a citizen."""
    row = await q.get_staff(conn, user_id)
    return None if row is None else Role(row["role"])


async def require(
    conn: aiosqlite.Connection, user_id: int, allowed: frozenset[Role]
) -> Role:
    """The second access check, in the core: the adapter's filter may be stale."""
    role = await role_of(conn, user_id)
    if role is None or role not in allowed:
        raise NotAuthorized(f"needs one of {sorted(allowed)}")
    return role


async def audit(
    conn: aiosqlite.Connection, staff_id: int, action: str, now: dt.datetime,
    complaint_id: int | None = None, detail: str | None = None,
) -> None:
    """Append to the audit log (inside the action's own transaction)."""
    await q.insert_audit(
        conn, at=now.isoformat(), staff_id=staff_id, action=action,
        complaint_id=complaint_id, detail=detail,
    )


async def staff_ids(b: Backend) -> dict[int, Role]:
    """Everyone on staff, for the adapter's access filters."""
    async with b.db.read() as conn:
        return {int(r["user_id"]): Role(r["role"]) for r in await q.list_staff(conn)}


async def list_staff(b: Backend, by: int) -> list[StaffMember]:
    """The staff list, for admins."""
    async with b.db.read() as conn:
        await require(conn, by, ADMIN_ROLES)
        rows = await q.list_staff(conn)
    return [
        StaffMember(
            user_id=int(r["user_id"]), role=Role(r["role"]), name=r["name"],
            added_by=r["added_by"], added_at=dt.datetime.fromisoformat(r["added_at"]),
        )
        for r in rows
    ]


async def add_staff(
    b: Backend, by: int, user_id: int, role: Role, now: dt.datetime, name: str | None = None
) -> None:
    """An admin adds someone to staff, or changes their role."""
    async with b.db.tx() as conn:
        await require(conn, by, ADMIN_ROLES)
        current = await role_of(conn, user_id)
        if current is Role.ADMIN and role is not Role.ADMIN and await q.count_admins(conn) <= 1:
            raise StaffError("last_admin")
        await q.upsert_staff(
            conn, user_id=user_id, role=role.value, name=name, added_by=by,
            added_at=now.isoformat(),
        )
        await audit(conn, by, "staff.add", now, detail=f"{user_id}:{role.value}")


async def remove_staff(b: Backend, by: int, user_id: int, now: dt.datetime) -> None:
    """An admin removes someone from staff; the last admin cannot be removed."""
    async with b.db.tx() as conn:
        await require(conn, by, ADMIN_ROLES)
        current = await role_of(conn, user_id)
        if current is None:
            raise StaffError("not_staff")
        if current is Role.ADMIN and await q.count_admins(conn) <= 1:
            raise StaffError("last_admin")
        await q.delete_staff(conn, user_id)
        await audit(conn, by, "staff.remove", now, detail=str(user_id))


async def read_audit(
    b: Backend, by: int, now: dt.datetime, *, limit: int = 30, complaint_id: int | None = None
) -> list[AuditEntry]:
    """The newest audit entries; reading them is itself audited."""
    async with b.db.tx() as conn:
        await require(conn, by, ADMIN_ROLES)
        rows = await q.list_audit(conn, limit=limit, complaint_id=complaint_id)
        await audit(conn, by, "audit.view", now, complaint_id=complaint_id)
    return [
        AuditEntry(
            at=dt.datetime.fromisoformat(r["at"]), staff_id=int(r["staff_id"]),
            action=r["action"], complaint_id=r["complaint_id"], detail=r["detail"],
        )
        for r in rows
    ]

"""Accounts, sessions, CSRF tokens and a login rate limit: the standard library only.

Passwords are hashed with scrypt (hashlib) and a per-account salt; the accounts file
lives in the state folder with mode 0600. There is no default password: accounts are
made with `museokit dashboard user add NAME --role ROLE`, which prints a generated one.
Roles grow: a viewer sees, staff also mark exhibits out of order and write notes, a
technician also tests outputs, restarts and downloads logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "staff", "technician")
ACCOUNTS_FILE = "dashboard-accounts.json"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.@")


class AccountError(ValueError):
    """A bad account name, role or accounts file; the message says how to fix it."""


def role_at_least(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


def generate_password() -> str:
    """Four groups of four letters and digits, easy to type on a tablet."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


class Accounts:
    """The accounts file: {name: {"role", "hash"}}; written atomically with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AccountError(f"{self.path}: unreadable accounts file ({exc}) — move it away "
                               "and add the accounts again with `museokit dashboard user add`"
                               ) from None
        if not isinstance(data, dict):
            raise AccountError(f"{self.path}: not an accounts file — move it away and add the "
                               "accounts again")
        return data

    def add(self, name: str, role: str, password: str | None = None) -> str:
        """Create or replace `name`; returns its password (generated unless given)."""
        if not name or not set(name) <= NAME_CHARS or len(name) > 64:
            raise AccountError(f"account name {name!r}: use lower-case letters, digits, '.', "
                               "'-', '_' or an e-mail address (64 characters at most)")
        if role not in ROLES:
            raise AccountError(f"role {role!r}: choose one of {', '.join(ROLES)}")
        password = password or generate_password()
        with self._lock:
            data = self.load()
            data[name] = {"role": role, "hash": hash_password(password)}
            self._write(data)
        return password

    def remove(self, name: str) -> bool:
        with self._lock:
            data = self.load()
            found = data.pop(name, None) is not None
            if found:
                self._write(data)
        return found

    def verify(self, name: str, password: str) -> str | None:
        """The account's role if the password is right, else None (same cost either way)."""
        entry = self.load().get(name)
        stored = entry["hash"] if entry else hash_password("not an account", b"0" * 16)
        ok = check_password(password, stored)
        return entry["role"] if entry and ok else None

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


@dataclass
class Session:
    user: str
    role: str
    csrf: str
    expires: float


class Sessions:
    """Server-side sessions: the cookie holds only a random token; they end at `expires`."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = minutes * 60
        self.clock = clock
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str, role: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(user, role, secrets.token_urlsafe(32), self.clock() + self.seconds)
        with self._lock:
            now = self.clock()
            self._by_token = {t: s for t, s in self._by_token.items() if s.expires > now}
            self._by_token[token] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._by_token.get(token)
            if session is not None and session.expires <= self.clock():
                del self._by_token[token]
                return None
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    def expire_all(self) -> None:
        """Tests and `user remove`: every session ends now."""
        with self._lock:
            for s in self._by_token.values():
                s.expires = 0.0


class LoginThrottle:
    """Back-off per client address and per account, never a lockout.

    After `free` failures, each further failure doubles the wait before the next try
    (1 s, 2 s, 4 s ... at most `cap`); a success clears it. A museum's own tablets, which
    share one address, are slowed by a wrong password typed there but never shut out.
    """

    def __init__(self, free: int = 3, cap: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.cap = cap
        self.clock = clock
        self._fails: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds before another try is allowed for these keys (0: go ahead)."""
        now = self.clock()
        with self._lock:
            return max((until - now for _, until in (self._fails.get(k, (0, 0.0)) for k in keys)),
                       default=0.0) if keys else 0.0

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._fails) > 10_000:  # a flood of made-up names cannot grow it forever
                self._fails = {k: v for k, v in self._fails.items() if v[1] > now}
            for key in keys:
                count = self._fails.get(key, (0, 0.0))[0] + 1
                delay = 0.0 if count <= self.free else min(self.cap, 2.0 ** (count - self.free - 1))
                self._fails[key] = (count, now + delay)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._fails.pop(key, None)

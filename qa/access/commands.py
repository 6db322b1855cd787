"""``python -m qa users add|remove|list|passwd|token|grant``: the users file, from the command line.

A password is asked twice on a terminal and read from the first line of standard input otherwise (so that a
script or a test can set it: ``echo "$PASSWORD" | python -m qa users add ann --role editor``); it is never an
argument, which other users of the machine could read in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from qa.access.audit import Audit, command_actor
from qa.access.names import collection_list
from qa.access.users import ROLES, UsersFile, role_of, user_row
from qa.config import Settings
from qa.errors import AccessError


def add_users_command(sub: argparse._SubParsersAction) -> None:
    about = "Manage the users file: who may sign in, with which role and collections."
    users = sub.add_parser("users", help="Manage who may sign in to the app (and the API).", description=about)
    actions = users.add_subparsers(required=True, metavar="ACTION")

    def action(name: str, help_text: str, named: bool = True) -> argparse.ArgumentParser:
        cmd = actions.add_parser(name, help=help_text, description=help_text)
        if named:
            cmd.add_argument("name")
        cmd.add_argument("--users", metavar="FILE", help="the users file (default: users.json in the index folder, "
                         "or $VERBATIM_USERS)")  # fmt: skip
        cmd.add_argument("--index-dir", help="the index folder whose users.json is meant (default: index/)")
        cmd.set_defaults(run=run_users_command, action=name)
        return cmd

    add = action("add", "Add a user; the password is prompted (or read from standard input).")
    add.add_argument("--role", required=True, choices=ROLES, help="reader: asks; editor: also adds and removes "
                     "documents; admin: also manages users and reads every collection")  # fmt: skip
    add.add_argument("--collections", default="*", metavar="A,B", help="collections the user reads (and, as an "
                     "editor, changes); default * (all)")  # fmt: skip
    action("remove", "Remove a user (their sessions and tokens end at once).")
    listing = action("list", "List the users, their roles and collections.", named=False)
    listing.add_argument("--json", action="store_true")
    action("passwd", "Set a user's password (their sessions end).")
    token = action("token", "Make an API token for a user (shown once), for /api and /mcp as 'Bearer TOKEN'.")
    token.add_argument("--revoke", action="store_true", help="end all the user's tokens instead")
    grant = action("grant", "Change a user's role or collections (their sessions end).")
    grant.add_argument("--role", choices=ROLES)
    grant.add_argument("--collections", metavar="A,B")


def run_users_command(args: argparse.Namespace) -> int:
    settings = Settings.from_env(index_dir=args.index_dir, users=args.users)
    users = UsersFile(settings.users_file)
    audit = Audit(settings.index_dir / "audit.jsonl")
    actor = command_actor()
    if args.action == "list":
        rows = [user_row(u) for u in users.users().values()]
        if args.json:
            print(json.dumps(rows))
        for row in [] if args.json else rows:
            print(f"{row['name']}  {row['role']}  collections: {','.join(row['collections'])}  tokens: {row['tokens']}")
        if not rows and not args.json:
            print(f"No users in {users.path}: the app is open to whoever reaches it (loopback only).")
        return 0
    if args.action == "add":
        user = users.add(args.name, role_of(args.role), collection_list(args.collections), _password())
        audit.record(actor, "user added", user.name, role=user.role, collections=list(user.collections))
        print(f"Added {user.name} ({user.role}; collections: {','.join(user.collections)}) to {users.path}.")
    elif args.action == "remove":
        users.remove(args.name)
        audit.record(actor, "user removed", args.name)
        print(f"Removed {args.name} from {users.path}.")
    elif args.action == "passwd":
        users.passwd(args.name, _password())
        audit.record(actor, "password changed", args.name)
        print(f"Changed the password of {args.name}; their sessions have ended.")
    elif args.action == "token" and args.revoke:
        users.revoke_tokens(args.name)
        audit.record(actor, "tokens revoked", args.name)
        print(f"Revoked every API token of {args.name}.")
    elif args.action == "token":
        token = users.new_token(args.name)
        audit.record(actor, "token made", args.name)
        shown = f"A new API token for {args.name} (shown once; send it as 'Authorization: Bearer TOKEN'):"
        print(shown, file=sys.stderr)
        print(token)
    else:  # grant
        if args.role is None and args.collections is None:
            raise AccessError("say what to change: --role, --collections or both")
        collections = collection_list(args.collections) if args.collections is not None else None
        user = users.grant(args.name, role_of(args.role) if args.role else None, collections)
        audit.record(actor, "user changed", user.name, role=user.role, collections=list(user.collections))
        print(f"{user.name} is now {user.role}; collections: {','.join(user.collections)}.")
    return 0


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise AccessError("the two passwords differ: nothing was changed")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line

"""Admin pages: list users, grant and revoke roles, read the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agora.accounts import services as accounts
from agora.admin.forms import RoleForm
from agora.audit import AuditEntry, verify_chain
from agora.db import paginate, unit_of_work
from agora.errors import Conflict, InvalidInput
from agora.permissions import ASSIGNABLE_ROLES, Permission, Role, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@login_required
def users():
    query = request.args.get("q", "")[:100]
    page = accounts.list_users(current_user, query=query, page=request.args.get("page", 1, type=int))
    return render_template("admin/users.html", page=page, query=query)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    target = accounts.get_user(current_user, user_id)
    form = RoleForm()
    if request.method == "POST":
        require(current_user, Permission.ADMIN_ROLES_MANAGE)
        if not form.validate_on_submit() or form.role.data not in {r.value for r in ASSIGNABLE_ROLES}:
            abort(400)
        role = Role(form.role.data)
        try:
            with unit_of_work():
                if form.action.data == "grant":
                    accounts.grant_role(current_user, target, role)
                elif form.action.data == "revoke":
                    accounts.revoke_role(current_user, target, role)
                else:
                    abort(400)
        except (Conflict, InvalidInput) as error:
            flash(error.message, "error")
        else:
            flash(_("Roles updated."), "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/user.html", target=target, roles=ASSIGNABLE_ROLES, form=form)


@bp.route("/audit")
@login_required
def audit_log():
    require(current_user, Permission.ADMIN_AUDIT_VIEW)
    page = paginate(select(AuditEntry).order_by(AuditEntry.id.desc()),
                    page=request.args.get("page", 1, type=int), per_page=50)
    chain = verify_chain() if request.args.get("verify") else None
    return render_template("admin/audit.html", page=page, chain=chain)

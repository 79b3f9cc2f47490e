"""Roles, permissions and the one policy every service asks.

Services call :func:`require` first thing; templates call :func:`can` only to show or hide
buttons. Permission names read ``<scope>:<resource>:<action>``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from agora.errors import PermissionDenied

if TYPE_CHECKING:
    from agora.accounts.models import User


class Role(StrEnum):
    RESIDENT = "resident"  # any registered account
    VERIFIED = "verified"  # residency verified against the census (derived, never assigned)
    CLERK = "clerk"
    MODERATOR = "moderator"
    ADMIN = "admin"


# Roles an administrator may grant; "verified" comes only from the census.
ASSIGNABLE_ROLES = (Role.CLERK, Role.MODERATOR, Role.ADMIN)


class Permission(StrEnum):
    ACCOUNT_RESIDENCY_VERIFY = "accounts:residency:verify"
    ADMIN_AUDIT_VIEW = "admin:audit:view"
    ADMIN_ROLES_MANAGE = "admin:roles:manage"
    ADMIN_USERS_VIEW = "admin:users:view"
    BUDGETS_MANAGE = "budgets:process:manage"
    BUDGETS_PROJECT_VALUATE = "budgets:project:valuate"  # valuators: clerks (and administrators)
    BUDGETS_BALLOT_CAST = "budgets:ballot:cast"  # eligibility per heading: see agora.budgets.services
    BUDGETS_MILESTONE_MANAGE = "budgets:milestone:manage"  # execution tracking of funded projects: clerks
    CENSUS_REGISTER_IMPORT = "census:register:import"
    CENSUS_REGISTER_VIEW = "census:register:view"
    COMMITMENTS_GOAL_MANAGE = "commitments:goal:manage"
    COMMITMENTS_INDICATOR_RECORD = "commitments:indicator:record"
    COMMITMENTS_ORGANISATION_MANAGE = "commitments:organisation:manage"
    COMMITMENTS_COMMITMENT_CREATE = "commitments:commitment:create"  # for an organisation one belongs to
    COMMITMENTS_COMMITMENT_UPDATE = "commitments:commitment:update"  # owner or organisation member
    COMMITMENTS_COMMITMENT_COMMENT = "commitments:commitment:comment"
    COMMITMENTS_COMMITMENT_ENDORSE = "commitments:commitment:endorse"
    PANELS_MANAGE = "panels:panel:manage"  # create panels, respondents' personal data, quotas, the draw
    # Panel invitations (issue 7): draw the invitation list, print letters, see sign-ups and
    # respondents' personal data, send confirmation links. Object rules: agora.panels.invitation_services.
    PANELS_INVITE = "panels:invitation:manage"
    PARTICIPATE = "participation:content:create"  # verified residents take part
    VOTE_CAST = "votes:ballot:cast"  # eligibility per vote: see agora.votes.services
    VOTES_MANAGE = "votes:vote:manage"
    # Proposals, debates, comments, moderation (issue 8); their object rules sit in each services.py.
    PROPOSAL_EDIT = "proposals:proposal:edit"
    PROPOSAL_RETIRE = "proposals:proposal:retire"
    PROPOSAL_ARCHIVE = "proposals:proposal:archive"
    PROPOSAL_SEND = "proposals:proposal:send"  # a successful proposal to a vote or a budget: administrators
    DEBATE_EDIT = "debates:debate:edit"
    COMMENT_EDIT = "comments:comment:edit"
    CONTENT_FLAG = "moderation:content:flag"
    MODERATION_QUEUE_VIEW = "moderation:queue:view"
    MODERATION_CONTENT_HIDE = "moderation:content:hide"
    MODERATION_DEBATE_LOCK = "moderation:debate:lock"
    MODERATION_USER_BLOCK = "moderation:user:block"
    # The panel at work (issue 7, step 7); object rules in agora.panelwork.services check membership of
    # THAT panel, so always pass the panel (or the amendment) as the object.
    PANELWORK_VIEW = "panels:workspace:view"  # active members and facilitators of the panel; clerks
    PANELWORK_CONTRIBUTE = "panels:goal:contribute"  # draft, amend, vote: active members (role "member")
    PANELWORK_AMENDMENT_DECIDE = "panels:amendment:decide"  # the goal's author, or who facilitates
    PANELWORK_FACILITATE = "panels:workspace:facilitate"  # sessions, minutes, votes: facilitators; clerks
    PANELWORK_MEMBERS_MANAGE = "panels:members:manage"  # add/remove members, adoption rule: clerks


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.RESIDENT: frozenset({Permission.ACCOUNT_RESIDENCY_VERIFY, Permission.CONTENT_FLAG,
                              # commitments: the object rules (membership, ownership) decide
                              Permission.COMMITMENTS_COMMITMENT_CREATE, Permission.COMMITMENTS_COMMITMENT_UPDATE,
                              # panel workspace: the object rules (membership of that panel) decide
                              Permission.PANELWORK_VIEW, Permission.PANELWORK_CONTRIBUTE,
                              Permission.PANELWORK_AMENDMENT_DECIDE, Permission.PANELWORK_FACILITATE}),
    Role.VERIFIED: frozenset({Permission.PARTICIPATE, Permission.VOTE_CAST, Permission.BUDGETS_BALLOT_CAST,
                              Permission.PROPOSAL_EDIT,
                              Permission.PROPOSAL_RETIRE, Permission.DEBATE_EDIT, Permission.COMMENT_EDIT}),
    Role.CLERK: frozenset({Permission.CENSUS_REGISTER_IMPORT, Permission.CENSUS_REGISTER_VIEW,
                           Permission.COMMITMENTS_INDICATOR_RECORD, Permission.COMMITMENTS_COMMITMENT_COMMENT,
                           Permission.COMMITMENTS_COMMITMENT_ENDORSE, Permission.BUDGETS_PROJECT_VALUATE,
                           Permission.PANELWORK_MEMBERS_MANAGE, Permission.BUDGETS_MILESTONE_MANAGE,
                           Permission.PANELS_MANAGE, Permission.PANELS_INVITE}),
    Role.MODERATOR: frozenset({Permission.MODERATION_QUEUE_VIEW, Permission.MODERATION_CONTENT_HIDE,
                               Permission.MODERATION_DEBATE_LOCK, Permission.MODERATION_USER_BLOCK}),
    # Administrators hold every staff permission; taking part still needs a verified residency.
    Role.ADMIN: frozenset(Permission) - {Permission.PARTICIPATE, Permission.ACCOUNT_RESIDENCY_VERIFY},
}


ObjectRule = Callable[["User", Any], bool]
_OBJECT_RULES: dict[Permission, ObjectRule] = {}


def object_rule(permission: Permission) -> Callable[[ObjectRule], ObjectRule]:
    """Register the rule that decides ``permission`` on a given object (its owner, its phase...).

    Features declare these next to their services, e.g. "only the author may edit a proposal"::

        @object_rule(Permission.PROPOSAL_EDIT)
        def _author_edits(user, proposal):
            return proposal.author_id == user.id
    """

    def register(rule: ObjectRule) -> ObjectRule:
        _OBJECT_RULES[permission] = rule
        return rule

    return register


def can(user: User | None, permission: Permission, obj: Any = None) -> bool:
    """Whether ``user`` may do ``permission``: a role must grant it and, for an object, its rule agree."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if permission is Permission.ACCOUNT_RESIDENCY_VERIFY and user.is_verified:
        return False  # already verified: nothing left to verify
    if not any(permission in _GRANTS[role] for role in user.roles):
        return False
    rule = _OBJECT_RULES.get(permission)
    return rule is None or obj is None or bool(rule(user, obj))


def require(user: User | None, permission: Permission, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can` allows it."""
    if not can(user, permission, obj):
        raise PermissionDenied(_("You are not allowed to do this."))

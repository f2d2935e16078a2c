"""Who works in the simulated center: skill names, agents' names and their teams.

The Account Configuration API of a real account lists skills, users and agent groups;
:class:`Directory` is the simulator's version, built from a :class:`~engframe.sim.model.Center`
and its seed. It changes none of the center's numbers (it draws from its own generator):

- every skill of the center gets a name that looks like a real one ("Sales", "Billing",
  "Technical Support", ...), plus one **deleted** skill that no chat uses any more;
- every agent of the center is a human user with a full name ("Dana Levi"), a nickname
  (the first name, what visitors see) and a login name; one of them has **left the
  company** (deleted, disabled) but still has chats in the history; one is disabled;
- agents belong to agent groups: a root group "Main Group" and a few teams under it
  (a couple of agents sit in the root group itself), plus one deleted, empty team;
- two users are not agents: a bot (user type 2) and an API user with only a login name
  (user type 0, no group).

Examples
--------
>>> from engframe.sim.model import Center
>>> from engframe.sim.people import Directory
>>> directory = Directory.for_center(Center(seed=1))
>>> directory.skills[0].name in SKILL_NAMES
True
>>> sum(user.deleted for user in directory.users)
1
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

import numpy as np

from engframe.sim.model import Center

__all__ = [
    "AGENT_USER",
    "BOT_USER",
    "FIRST_NAMES",
    "LAST_NAMES",
    "ROOT_GROUP_NAME",
    "SKILL_NAMES",
    "SYSTEM_USER",
    "TEAM_NAMES",
    "Directory",
    "GroupEntry",
    "SkillEntry",
    "UserEntry",
]

#: ``userTypeId`` values of the Account Configuration API.
SYSTEM_USER: Final = 0
AGENT_USER: Final = 1
BOT_USER: Final = 2

#: Skill names, most common first: the first six are always used (when the center has
#: that many skills), in a seeded order; the rest fill larger centers.
SKILL_NAMES: Final = (
    "Sales", "Billing", "Technical Support", "Customer Care", "Retention", "Returns",
    "Onboarding", "Shipping", "Premium Support", "Account Services", "Fraud Prevention",
    "Loyalty", "Mobile Support", "Upgrades", "Cancellations", "Payments", "Orders",
    "Product Questions", "Warranty", "Installations",
)
_CORE_SKILLS: Final = 6
#: Variants that make more skill names once the plain ones run out ("Sales - Spanish").
SKILL_VARIANTS: Final = ("Spanish", "French", "EMEA", "APAC", "VIP", "Business")
#: Names of retired skills: the directory's deleted skill takes one.
RETIRED_SKILL_NAMES: Final = ("Legacy Support", "Holiday Promotions", "Beta Program")

FIRST_NAMES: Final = (
    "Dana", "Noa", "Maya", "Liam", "Olivia", "Ethan", "Sofia", "Lucas", "Amara", "Mateo",
    "Priya", "Kenji", "Fatima", "Omar", "Chloe", "Jonas", "Elena", "Diego", "Aisha", "Ravi",
    "Hannah", "Samuel", "Leila", "Tomas", "Grace", "Daniel", "Ines", "Marcus", "Yuki", "Nadia",
    "Isaac", "Zara", "Felix", "Carmen", "Hugo", "Mei", "Adrian", "Lena", "Kofi", "Rosa",
    "Victor", "Anya", "Malik", "Julia", "Arjun", "Clara", "Theo", "Sara", "Andre", "Lucia",
)
LAST_NAMES: Final = (
    "Levi", "Cohen", "Garcia", "Smith", "Nguyen", "Patel", "Kim", "Muller", "Rossi", "Silva",
    "Okafor", "Tanaka", "Haddad", "Novak", "Johnson", "Brown", "Martin", "Lopez", "Khan",
    "Schmidt", "Dubois", "Ivanova", "Andersen", "Costa", "Mensah", "Ali", "Fischer", "Moreau",
    "Romero", "Sato", "Weber", "Lindqvist", "Mendes", "Chen", "Walker", "Friedman", "Adeyemi",
    "Horvat", "Park", "Bianchi", "Kowalski", "Reyes", "Larsen", "Herrera", "Shah", "Yilmaz",
    "Murphy", "Jansen", "Katz", "Torres",
)
#: The root agent group's name, and the teams under it (as many as the center needs).
ROOT_GROUP_NAME: Final = "Main Group"
TEAM_NAMES: Final = (
    "Tier 1", "Tier 2", "Sales Team", "Billing Team", "Night Shift", "Escalations",
    "Retention Team", "Onboarding Team",
)
#: A disbanded team: deleted, nobody in it.
RETIRED_TEAM_NAME: Final = "Holiday Team"
#: About one team per this many agents, between 2 and ``len(TEAM_NAMES)`` teams.
AGENTS_PER_TEAM: Final = 15
#: Agents who sit in the root group itself rather than in a team.
ROOT_MEMBERS: Final = 2

_ID_RANGE: Final = (1_000_000_000, 4_300_000_000)
#: The day agents were put in their groups [ISO], for ``memberOf.assignmentDate``.
_ASSIGNED: Final = "2024-01-15 09:00:00"


@dataclass(frozen=True, slots=True)
class SkillEntry:
    """One skill of the account's configuration."""

    id: int
    name: str
    description: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class UserEntry:
    """One user (agent, bot or system user) of the account's configuration.

    ``group`` is the agent group the user is a member of (``None``: none), ``skills``
    the skill ids the user serves.
    """

    id: int
    pid: str
    login_name: str
    full_name: str | None
    nickname: str | None
    user_type: int
    group: int | None
    skills: tuple[int, ...]
    enabled: bool = True
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class GroupEntry:
    """One agent group (team); the root group has no ``parent``."""

    id: int
    name: str
    parent: int | None
    enabled: bool = True
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Directory:
    """The simulated account's configuration: its skills, users and agent groups.

    Attributes
    ----------
    skills : tuple of SkillEntry
        The center's skills (in the order of ``center.skill_ids``), then a deleted one.
    users : tuple of UserEntry
        The center's agents (in the order of ``center.agent_ids``), then a bot and an
        API user.
    groups : tuple of GroupEntry
        The root group, its teams, then a deleted team.
    """

    skills: tuple[SkillEntry, ...]
    users: tuple[UserEntry, ...]
    groups: tuple[GroupEntry, ...]

    @classmethod
    def for_center(cls, center: Center) -> Directory:
        """The directory of ``center``: the same seed and size give the same names.

        Parameters
        ----------
        center : Center
            The simulated center whose skills and agents are named.

        Returns
        -------
        Directory

        Examples
        --------
        >>> from engframe.sim.model import Center
        >>> a = Directory.for_center(Center(seed=3))
        >>> a == Directory.for_center(Center(seed=3))
        True
        """
        # Its own stream: naming people never changes the center's chats.
        rng = np.random.default_rng([center.seed, 2])
        taken = {int(i) for i in center.skill_ids} | {int(i) for i in center.agent_ids}
        skills = _skills(rng, center, taken)
        groups = _groups(rng, len(center.agent_ids), taken)
        users = _users(rng, center, groups, taken)
        return cls(skills=skills, users=users, groups=groups)

    def user(self, user_id: int) -> UserEntry:
        """The user with this id.

        Raises
        ------
        KeyError
            If there is none.

        Examples
        --------
        >>> from engframe.sim.model import Center
        >>> center = Center(seed=1)
        >>> d = Directory.for_center(center)
        >>> d.user(int(center.agent_ids[0])).user_type
        1
        """
        for entry in self.users:
            if entry.id == user_id:
                return entry
        raise KeyError(user_id)


def _new_id(rng: np.random.Generator, taken: set[int]) -> int:
    while True:  # collisions are rare: redraw rather than reason
        candidate = int(rng.integers(*_ID_RANGE))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _skill_names(rng: np.random.Generator, count: int) -> list[str]:
    core = [SKILL_NAMES[i] for i in rng.permutation(_CORE_SKILLS)]
    rest = [SKILL_NAMES[_CORE_SKILLS + i] for i in rng.permutation(len(SKILL_NAMES)
                                                                    - _CORE_SKILLS)]
    names = core + rest
    names += [f"{name} - {variant}" for variant in SKILL_VARIANTS for name in SKILL_NAMES]
    names += [f"Queue {n}" for n in range(1, max(0, count - len(names)) + 1)]
    return names[:count]


def _skills(rng: np.random.Generator, center: Center, taken: set[int]) -> tuple[SkillEntry, ...]:
    names = _skill_names(rng, len(center.skill_ids))
    live = [SkillEntry(int(skill), name, f"Chats about {name.lower()}")
            for skill, name in zip(center.skill_ids, names, strict=True)]
    retired = RETIRED_SKILL_NAMES[int(rng.integers(len(RETIRED_SKILL_NAMES)))]
    gone = SkillEntry(_new_id(rng, taken), retired, "Retired", deleted=True)
    return (*live, gone)


def _groups(rng: np.random.Generator, n_agents: int, taken: set[int]) -> tuple[GroupEntry, ...]:
    root = GroupEntry(_new_id(rng, taken), ROOT_GROUP_NAME, None)
    n_teams = int(np.clip(n_agents // AGENTS_PER_TEAM, 2, len(TEAM_NAMES)))
    teams = [GroupEntry(_new_id(rng, taken), TEAM_NAMES[i], root.id) for i in range(n_teams)]
    gone = GroupEntry(_new_id(rng, taken), RETIRED_TEAM_NAME, root.id, enabled=False,
                      deleted=True)
    return (root, *teams, gone)


def _people(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (first, last) name pairs."""
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[int, int]] = set()
    capacity = len(FIRST_NAMES) * len(LAST_NAMES)
    while len(pairs) < count:
        first, last = int(rng.integers(len(FIRST_NAMES))), int(rng.integers(len(LAST_NAMES)))
        if (first, last) in seen and len(seen) < capacity:
            continue
        seen.add((first, last))
        pairs.append((FIRST_NAMES[first], LAST_NAMES[last]))
    return pairs


def _login(first: str, last: str, used: set[str]) -> str:
    base = f"{first}.{last}".lower()
    login, n = base, 1
    while login in used:  # namesakes get a number, as mail systems do
        n += 1
        login = f"{base}{n}"
    used.add(login)
    return login


def _pid(user_id: int) -> str:
    return hashlib.sha256(f"engframe-sim:pid:{user_id}".encode()).hexdigest()[:16]


def _users(
    rng: np.random.Generator, center: Center, groups: tuple[GroupEntry, ...], taken: set[int]
) -> tuple[UserEntry, ...]:
    n_agents = len(center.agent_ids)
    root, teams = groups[0], [g for g in groups[1:] if not g.deleted]
    team_of = rng.integers(len(teams), size=n_agents)
    # The agent who left and one on leave (never the same person), then who sits in
    # the root group: distinct agents, as far as there are enough of them.
    picked = [int(i) for i in rng.permutation(n_agents)[: 2 + ROOT_MEMBERS]]
    departed = picked[0]
    on_leave = picked[1] if len(picked) > 1 else None
    in_root = set(picked[2:])
    used: set[str] = set()
    users = []
    for position, ((first, last), agent) in enumerate(
        zip(_people(rng, n_agents), center.agent_ids, strict=True)
    ):
        group = root.id if position in in_root else teams[int(team_of[position])].id
        served = tuple(int(center.skill_ids[s]) for s in np.flatnonzero(center.serves[position]))
        users.append(UserEntry(
            id=int(agent), pid=_pid(int(agent)), login_name=_login(first, last, used),
            full_name=f"{first} {last}", nickname=first, user_type=AGENT_USER, group=group,
            skills=served, enabled=position not in (departed, on_leave),
            deleted=position == departed,
        ))
    bot = _new_id(rng, taken)
    users.append(UserEntry(id=bot, pid=_pid(bot), login_name="virtual.assistant",
                           full_name="Virtual Assistant", nickname="Ava", user_type=BOT_USER,
                           group=root.id, skills=()))
    system = _new_id(rng, taken)
    users.append(UserEntry(id=system, pid=_pid(system), login_name="api.integration",
                           full_name=None, nickname=None, user_type=SYSTEM_USER, group=None,
                           skills=()))
    return tuple(users)

"""The subgraph's root queries. They read the read models only; every authenticated role may
call them (the authentication gate refuses anonymous calls before they run).

Missing ids: `person` and `team` answer null; `skillsMatrix(teamId:)` with an unknown team is
NOT_FOUND. Off-range `first`, foreign cursors and bad filters are BAD_USER_INPUT.
"""

from __future__ import annotations

import strawberry
from pmo_events.errors import InvalidInput, NotFound
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size
from strawberry.types import Info

from pmo_resources.api.deps import runtime
from pmo_resources.api.types import (
    Person,
    PersonFilter,
    SkillsMatrix,
    SkillsMatrixRow,
    Team,
    today,
)
from pmo_resources.domain import validation as check
from pmo_resources.domain.person import SKILL_LEVELS, normalise_skill
from pmo_resources.projections import people, teams


def _name_cursor(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    name, row_id = decode_cursor(after, arity=2)
    if not isinstance(name, str) or not isinstance(row_id, str):
        raise InvalidInput(
            "the cursor does not belong to this list: pass the endCursor of a previous page"
        )
    return name, row_id


def _people_filter(given: PersonFilter | None) -> people.PersonFilter:
    given = given or PersonFilter()
    skill = normalise_skill("skill", given.skill) if given.skill is not None else None
    if given.min_level is not None and skill is None:
        raise InvalidInput("minLevel needs a skill: give filter.skill too")
    min_level = (
        check.integer("minLevel", given.min_level, low=SKILL_LEVELS[0], high=SKILL_LEVELS[-1])
        if given.min_level is not None
        else SKILL_LEVELS[0]
    )
    search = check.text("search", given.search) if given.search is not None else None
    return people.PersonFilter(
        today=today(),
        team_id=str(given.team_id) if given.team_id is not None else None,
        skill=skill,
        min_level=min_level,
        search=search,
        include_offboarded=given.include_offboarded,
    )


@strawberry.type
class Query:
    @strawberry.field(description="One person by id, or null if there is none.")
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        return await Person.by_id(info, str(id))

    @strawberry.field(description="People by name, filtered, a page at a time.")
    async def people(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PersonFilter | None = None,
    ) -> Connection[Person]:
        size = page_size(first)
        where = _people_filter(filter)
        async with runtime(info).engine.connect() as conn:
            rows = await people.page(conn, where=where, after=_name_cursor(after), limit=size + 1)
        names = {row.id: row.name for row in rows}
        return Connection[Person].from_rows(
            [Person.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(names[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )

    @strawberry.field(description="One team by id, or null if there is none.")
    async def team(self, info: Info, id: strawberry.ID) -> Team | None:
        return await Team.by_id(info, str(id))

    @strawberry.field(description="Teams by name, a page at a time (disbanded ones on request).")
    async def teams(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_disbanded: bool = False,
    ) -> Connection[Team]:
        size = page_size(first)
        async with runtime(info).engine.connect() as conn:
            rows = await teams.page(
                conn,
                include_disbanded=include_disbanded,
                after=_name_cursor(after),
                limit=size + 1,
            )
        names = {row.id: row.name for row in rows}
        return Connection[Team].from_rows(
            [Team.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(names[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )

    @strawberry.field(
        description="Active people (of one team, or everyone) by the skills they have, with "
        "their levels."
    )
    async def skills_matrix(self, info: Info, team_id: strawberry.ID | None = None) -> SkillsMatrix:
        wanted = str(team_id) if team_id is not None else None
        async with runtime(info).engine.connect() as conn:
            if wanted is not None and not await teams.by_ids(conn, [wanted]):
                raise NotFound(f"no team has the id {wanted!r}; list teams to find it")
            rows = await people.active(conn, team_id=wanted, today=today())
            skills = await people.skills_of(conn, [row.id for row in rows])
        names = sorted({skill.skill for levels in skills.values() for skill in levels})
        matrix = []
        for row in rows:
            levels = {skill.skill: skill.level for skill in skills.get(row.id, [])}
            matrix.append(
                SkillsMatrixRow(
                    person=Person.from_row(row), levels=[levels.get(name) for name in names]
                )
            )
        return SkillsMatrix(skills=names, rows=matrix)

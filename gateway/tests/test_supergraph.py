"""The supergraph reader and the planner on a hand-written supergraph (composer output shape)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType
from pmo_gateway.errors import RequestError
from pmo_gateway.fetcher import SubgraphClient
from pmo_gateway.gateway import Gateway, GraphQLRequest
from pmo_gateway.normalize import Field, SelectionSet
from pmo_gateway.response import Shaper
from pmo_gateway.supergraph import Supergraph, SupergraphError

HEADER = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
  { query: Query }

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean,
  overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION
  | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph {
  A @join__graph(name: "a", url: "http://a.invalid/graphql")
  B @join__graph(name: "b-side", url: "http://b.invalid/graphql")
}
"""

TYPES = """
type Query @join__type(graph: A) @join__type(graph: B) {
  thing(id: ID!): Thing @join__field(graph: A)
  node(id: ID!): Node @join__field(graph: A)
  parcel: Parcel @join__field(graph: A)
  secret: String @join__field(graph: A) @inaccessible
}

interface Node @join__type(graph: A) { id: ID! }

type Parcel @join__type(graph: A, key: "code owner { id }")
  @join__type(graph: B, key: "code owner { id }") {
  code: String!
  owner: Owner!
  tracking: String @join__field(graph: B)
}

type Owner @join__type(graph: A) @join__type(graph: B) { id: ID! }

"A thing to ship."
type Thing implements Node @join__type(graph: A, key: "id") @join__type(graph: B, key: "id")
  @join__implements(graph: A, interface: "Node") {
  id: ID!
  weight: Int @join__field(graph: A) @join__field(graph: B, external: true)
  internalCode: String @join__field(graph: A) @inaccessible
  "Needs the weight."
  shipping: Int @join__field(graph: B, requires: "weight")
  carrier: String @join__field(graph: B)
  kind(detail: Boolean @inaccessible): Kind @join__field(graph: A)
}

enum Kind @join__type(graph: A) {
  BIG @join__enumValue(graph: A)
  SMALL @join__enumValue(graph: A)
  HIDDEN @join__enumValue(graph: A) @inaccessible
}

type Hidden @join__type(graph: A) @inaccessible { x: Int }
"""

SDL = HEADER + TYPES


def test_the_api_schema_drops_machinery_and_inaccessible_elements() -> None:
    schema = Supergraph(SDL).api_schema

    assert set(schema.query_type.fields) == {"thing", "node", "parcel"}  # type: ignore[union-attr]
    thing = schema.get_type("Thing")
    assert set(thing.fields) == {"id", "weight", "shipping", "carrier", "kind"}  # type: ignore[union-attr]
    assert thing.description == "A thing to ship."
    assert thing.fields["shipping"].description == "Needs the weight."  # type: ignore[union-attr]
    assert thing.fields["kind"].args == {}  # type: ignore[union-attr]
    kind = schema.get_type("Kind")
    assert isinstance(kind, GraphQLEnumType)
    assert set(kind.values) == {"BIG", "SMALL"}
    assert schema.get_type("Hidden") is None
    assert not [n for n in schema.type_map if n.startswith(("join__", "link__"))]
    assert {d.name for d in schema.directives} == {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    }


def test_subgraph_urls_can_be_overridden_by_name() -> None:
    supergraph = Supergraph(SDL, {"B_SIDE": "http://elsewhere:9/graphql"})

    assert supergraph.subgraphs["b-side"].url == "http://elsewhere:9/graphql"
    assert supergraph.subgraphs["a"].url == "http://a.invalid/graphql"
    with pytest.raises(SupergraphError, match="known subgraphs: a, b-side"):
        Supergraph(SDL, {"C": "http://c"})


def test_unknown_security_features_are_refused() -> None:
    sdl = SDL.replace(
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n'
        '  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
    )

    with pytest.raises(SupergraphError, match=r"authenticated/v0\.1 for SECURITY"):
        Supergraph(sdl)


def test_a_federation_1_supergraph_is_refused() -> None:
    with pytest.raises(SupergraphError, match=r"join spec v0\.1 is not supported"):
        Supergraph(SDL.replace("join/v0.5", "join/v0.1"))


def _gateway(handler: Any = None) -> Gateway:
    supergraph = Supergraph(SDL)
    transport = httpx.MockTransport(handler) if handler else None
    return Gateway(supergraph, SubgraphClient(supergraph.subgraphs, transport=transport))


def test_requires_is_refused_with_a_clear_error_instead_of_wrong_data() -> None:
    with pytest.raises(RequestError) as caught:
        _gateway().plan_for('{ thing(id: "1") { shipping } }')

    (error,) = caught.value.errors
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert "@requires" in error["message"]
    assert caught.value.status == 500


def test_external_fields_are_fetched_from_their_owner() -> None:
    plan = _gateway().plan_for('{ thing(id: "1") { weight carrier } }')

    (root,) = plan.fetches
    assert root.subgraph == "a"
    assert "weight" in root.document
    (child,) = root.children
    assert child.subgraph == "b-side"
    assert "carrier" in child.document
    assert "weight" not in child.document


async def test_a_key_field_hidden_by_a_client_alias_is_read_from_an_internal_alias() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "_entities" in body["query"]:
            reps = body["variables"]["representations"]
            return httpx.Response(
                200, json={"data": {"_entities": [{"carrier": "DHL"} for _ in reps]}}
            )
        return httpx.Response(
            200,
            json={"data": {"thing": {"id": "12", "_pmo_id0": "t-1", "__typename": "Thing"}}},
        )

    gateway = _gateway(handler)
    response = await gateway.execute(
        GraphQLRequest('{ thing(id: "t-1") { id: weight carrier } }'), headers={}
    )

    assert response == {"data": {"thing": {"id": "12", "carrier": "DHL"}}}
    assert "_pmo_id0: id" in seen[0]["query"]
    assert seen[1]["variables"]["representations"] == [{"__typename": "Thing", "id": "t-1"}]
    await gateway.client.aclose()


async def test_nested_keys_are_selected_and_sent_as_nested_representations() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "_entities" in body["query"]:
            return httpx.Response(200, json={"data": {"_entities": [{"tracking": "T-9"}]}})
        parcel = {"__typename": "Parcel", "code": "c1", "owner": {"id": "o1"}}
        return httpx.Response(200, json={"data": {"parcel": parcel}})

    gateway = _gateway(handler)
    response = await gateway.execute(GraphQLRequest("{ parcel { tracking } }"), {})

    assert response == {"data": {"parcel": {"tracking": "T-9"}}}
    assert "parcel { __typename code owner { id } }" in seen[0]["query"]
    assert seen[1]["variables"]["representations"] == [
        {"__typename": "Parcel", "code": "c1", "owner": {"id": "o1"}}
    ]
    await gateway.client.aclose()


async def test_entity_fields_behind_an_interface_are_fetched_for_matching_objects() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "_entities" in body["query"]:
            return httpx.Response(200, json={"data": {"_entities": [{"carrier": "UPS"}]}})
        return httpx.Response(200, json={"data": {"node": {"__typename": "Thing", "id": "t-1"}}})

    gateway = _gateway(handler)
    response = await gateway.execute(
        GraphQLRequest('{ node(id: "t-1") { id kind: __typename ... on Thing { carrier } } }'), {}
    )

    assert response == {"data": {"node": {"id": "t-1", "kind": "Thing", "carrier": "UPS"}}}
    assert 'node(id: "t-1") { __typename ... on Thing { id kind: __typename } }' in seen[0]["query"]
    assert seen[1]["variables"]["representations"] == [{"__typename": "Thing", "id": "t-1"}]
    await gateway.client.aclose()


async def test_a_subgraph_http_error_is_reported_with_the_subgraph_and_path() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "b.invalid":
            return httpx.Response(502, text="bad gateway")
        return httpx.Response(200, json={"data": {"thing": {"id": "t-1", "__typename": "Thing"}}})

    gateway = _gateway(handler)
    response = await gateway.execute(GraphQLRequest('{ thing(id: "t-1") { id carrier } }'), {})

    assert response["data"] == {"thing": {"id": "t-1", "carrier": None}}
    (error,) = response["errors"]
    assert error["path"] == ["thing", "carrier"]
    assert error["extensions"] == {"code": "SUBGRAPH_ERROR", "serviceName": "b-side"}
    assert "HTTP 502" in error["message"]
    await gateway.client.aclose()


def test_a_null_in_a_non_null_position_without_any_error_gets_one() -> None:
    from graphql import GraphQLNonNull, GraphQLString

    field = Field("name", "name", "Thing", GraphQLNonNull(GraphQLString), (), (), None)
    thing = SelectionSet("Thing", False, {"Thing": (field,)})
    holder = Field(
        "thing", "thing", "Query", Supergraph(SDL).api_schema.get_type("Thing"), (), (), thing
    )  # type: ignore[arg-type]
    root = SelectionSet("Query", False, {"Query": (holder,)})
    errors: list[dict[str, Any]] = []

    data = Shaper(errors).shape(root, {"thing": {"name": None}})

    assert data == {"thing": None}
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field Thing.name.",
            "path": ["thing", "name"],
            "extensions": {"code": "SUBGRAPH_ERROR"},
        }
    ]

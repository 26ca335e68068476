"""Three small strawberry federation subgraphs the router tests run against.

They are deliberately unrelated to the platform's own types, so the tests prove that the router is
general: everything it knows comes from the composed supergraph.

- ``catalog`` owns ``Product @key(id)`` and ``Category``, the root fields ``product``, ``products``
  (a Relay-style connection), ``search`` (a union), ``brokenRequired`` (a non-null field that
  always fails) and the mutations ``createProduct`` / ``renameProduct``.
- ``reviews`` adds ``Product.reviews`` (a list of ``Review`` entities it owns) and the non-null
  ``Product.rating``, which fails for product ``p-bad``; ``Review.product`` points back to catalog.
- ``inventory`` adds ``Product.stock`` and the root field ``warehouses``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from strawberry.types import Info

# Set by a test to a fresh asyncio.Barrier(2): the two rendezvous fields (in two subgraphs) only
# return once both requests are being served, which proves the gateway fetched them concurrently.
RENDEZVOUS: asyncio.Barrier | None = None


# Set by a test to a fresh asyncio.Event: the `gated` field answers once it is set.
GATE: asyncio.Event | None = None


async def rendezvous() -> bool:
    assert RENDEZVOUS is not None, "set gateway_test_subgraphs.RENDEZVOUS first"
    async with asyncio.timeout(5):
        await RENDEZVOUS.wait()
    return True


FEDERATION_VERSION = "2.9"

PRODUCTS: dict[str, dict[str, object]] = {
    f"p-{n}": {
        "name": f"Product {n}",
        "price": float(n) * 10,
        "category": "c-1" if n % 2 else "c-2",
    }
    for n in range(1, 7)
}
PRODUCTS["p-bad"] = {"name": "Broken product", "price": 0.0, "category": "c-1"}
CATEGORIES = {"c-1": "Odd things", "c-2": "Even things"}


# ---------------------------------------------------------------- catalog


@strawberry.type(name="Category")
class CatalogCategory:
    id: strawberry.ID
    title: str


@strawberry.federation.type(name="Product", keys=["id"], description="Something we sell.")
class CatalogProduct:
    id: strawberry.ID
    name: str = strawberry.field(description="Display name.")
    price: float
    category: CatalogCategory

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> CatalogProduct | None:
        return catalog_product(str(id))


def catalog_product(product_id: str) -> CatalogProduct | None:
    row = PRODUCTS.get(product_id)
    if row is None:
        return None
    category_id = str(row["category"])
    return CatalogProduct(
        id=strawberry.ID(product_id),
        name=str(row["name"]),
        price=float(row["price"]),  # type: ignore[arg-type]
        category=CatalogCategory(id=strawberry.ID(category_id), title=CATEGORIES[category_id]),
    )


@strawberry.type
class ProductEdge:
    cursor: str
    node: CatalogProduct


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


SearchResult = Annotated[CatalogProduct | CatalogCategory, strawberry.union("SearchResult")]


@strawberry.input
class CreateProductInput:
    name: str
    price: float


@strawberry.type
class CatalogQuery:
    @strawberry.field
    def product(self, id: strawberry.ID) -> CatalogProduct | None:
        return catalog_product(str(id))

    @strawberry.field
    def products(self, first: int = 10, after: str | None = None) -> ProductConnection:
        ids = [key for key in PRODUCTS if key != "p-bad"]
        start = ids.index(after) + 1 if after else 0
        page = ids[start : start + first]
        edges = [ProductEdge(cursor=pid, node=catalog_product(pid)) for pid in page]  # type: ignore[arg-type]
        return ProductConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=start + first < len(ids), end_cursor=page[-1] if page else None
            ),
        )

    @strawberry.field
    def products_by_ids(self, ids: list[strawberry.ID]) -> list[CatalogProduct | None]:
        return [catalog_product(str(pid)) for pid in ids]

    @strawberry.field
    def search(self, term: str) -> list[SearchResult]:
        found: list[object] = [
            catalog_product(pid) for pid, row in PRODUCTS.items() if term in str(row["name"])
        ]
        found += [
            CatalogCategory(id=strawberry.ID(cid), title=title)
            for cid, title in CATEGORIES.items()
            if term in title
        ]
        return found

    @strawberry.field
    def broken_required(self) -> str:
        raise ValueError("the catalog cannot compute brokenRequired")

    @strawberry.field
    async def catalog_rendezvous(self) -> bool:
        return await rendezvous()

    @strawberry.field
    async def gated(self) -> str:
        assert GATE is not None, "set gateway_test_subgraphs.GATE first"
        async with asyncio.timeout(5):
            await GATE.wait()
        return "open"

    @strawberry.field
    def catalog_version(self) -> str:
        return "catalog-1"

    @strawberry.field
    def whoami(self, info: Info) -> str | None:
        # Echoes the forwarded Authorization header so tests can see it arrived.
        return info.context["request"].headers.get("authorization")


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    def create_product(self, input: CreateProductInput) -> CatalogProduct:
        product_id = f"p-{len(PRODUCTS) + 1}"
        PRODUCTS[product_id] = {"name": input.name, "price": input.price, "category": "c-1"}
        return catalog_product(product_id)  # type: ignore[return-value]

    @strawberry.mutation
    def rename_product(self, id: strawberry.ID, name: str) -> CatalogProduct | None:
        if str(id) not in PRODUCTS:
            return None
        PRODUCTS[str(id)]["name"] = name
        return catalog_product(str(id))


catalog_schema = strawberry.federation.Schema(
    query=CatalogQuery,
    mutation=CatalogMutation,
    federation_version=FEDERATION_VERSION,
)

# ---------------------------------------------------------------- reviews


@strawberry.federation.type(name="Review", keys=["id"])
class Review:
    id: strawberry.ID
    body: str
    stars: int
    product_id: strawberry.Private[str]

    @strawberry.field
    def product(self) -> ReviewsProduct:
        return ReviewsProduct(id=strawberry.ID(self.product_id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        return next((review for review in all_reviews() if review.id == id), None)


def reviews_of(product_id: str) -> list[Review]:
    count = int(product_id.removeprefix("p-")) % 3 + 1 if product_id != "p-bad" else 1
    return [
        Review(
            id=strawberry.ID(f"r-{product_id}-{n}"),
            body=f"Review {n} of {product_id}",
            stars=(n % 5) + 1,
            product_id=product_id,
        )
        for n in range(1, count + 1)
    ]


def all_reviews() -> list[Review]:
    return [review for pid in PRODUCTS for review in reviews_of(pid)]


@strawberry.federation.type(name="Product", keys=["id"])
class ReviewsProduct:
    id: strawberry.ID

    @strawberry.field
    def reviews(self) -> list[Review]:
        return reviews_of(str(self.id))

    @strawberry.field(description="Average stars; fails for the broken product.")
    def rating(self) -> float:
        if self.id == "p-bad":
            raise ValueError("rating unavailable for p-bad")
        stars = [review.stars for review in reviews_of(str(self.id))]
        return sum(stars) / len(stars)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsProduct:
        return ReviewsProduct(id=id)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def top_reviews(self, first: int = 3) -> list[Review]:
        return all_reviews()[:first]


reviews_schema = strawberry.federation.Schema(
    query=ReviewsQuery, types=[ReviewsProduct], federation_version=FEDERATION_VERSION
)

# ---------------------------------------------------------------- inventory


@strawberry.type
class Warehouse:
    code: str
    city: str


@strawberry.federation.type(name="Product", keys=["id"])
class InventoryProduct:
    id: strawberry.ID

    @strawberry.field
    def stock(self) -> int:
        return len(str(self.id)) * 7

    @strawberry.field
    def warehouse(self) -> Warehouse:
        return Warehouse(code="W1", city="Utrecht")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> InventoryProduct:
        return InventoryProduct(id=id)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    async def inventory_rendezvous(self) -> bool:
        return await rendezvous()

    @strawberry.field
    def warehouses(self) -> list[Warehouse]:
        return [Warehouse(code="W1", city="Utrecht"), Warehouse(code="W2", city="Ghent")]


inventory_schema = strawberry.federation.Schema(
    query=InventoryQuery, types=[InventoryProduct], federation_version=FEDERATION_VERSION
)

SCHEMAS = {"catalog": catalog_schema, "reviews": reviews_schema, "inventory": inventory_schema}

"""Hidden-group attack tests for disclosure control."""

from __future__ import annotations

from itertools import combinations, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sos_workforce.privacy.disclosure import (
    GroupCount,
    change_safe,
    gated_counts,
    subtree_totals,
    suppress_filtered,
    suppress_tree,
)


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[int, GroupCount], int]:
    size = draw(st.integers(1, 8))
    groups: dict[int, GroupCount] = {}
    for group_id in range(size):
        parent = None if group_id == 0 else draw(st.integers(0, group_id - 1))
        groups[group_id] = GroupCount(parent, draw(st.integers(0, 12)))
    return groups, draw(st.integers(3, 6))


def _members(groups: dict[int, GroupCount], group_id: int) -> set[int]:
    """The atoms (groups' own members) inside ``group_id``'s subtree."""
    inside = {group_id}
    changed = True
    while changed:
        changed = False
        for candidate, group in groups.items():
            if group.parent in inside and candidate not in inside:
                inside.add(candidate)
                changed = True
    return inside


@settings(max_examples=300, deadline=None)
@given(trees())
def test_no_combination_of_shown_figures_reveals_a_small_group(
    case: tuple[dict[int, GroupCount], int],
) -> None:
    groups, k = case
    shown = sorted(suppress_tree(groups, k))
    atoms = sorted(groups)
    vectors = [[1 if a in _members(groups, g) else 0 for a in atoms] for g in shown]
    # The attacker adds and subtracts any shown figures (coefficients -1, 0, 1).
    for coefficients in product((-1, 0, 1), repeat=len(shown)):
        combined = [
            sum(c * v[i] for c, v in zip(coefficients, vectors, strict=True))
            for i in range(len(atoms))
        ]
        if all(x in (0, 1) for x in combined):
            size = sum(groups[a].own for a, x in zip(atoms, combined, strict=True) if x)
            assert size == 0 or size >= k, (groups, k, shown, coefficients)


@settings(max_examples=300, deadline=None)
@given(trees())
def test_suppression_hides_every_small_group_and_no_more_than_needed_at_first(
    case: tuple[dict[int, GroupCount], int],
) -> None:
    groups, k = case
    totals = subtree_totals(groups)
    shown = suppress_tree(groups, k)
    for group_id, total in totals.items():
        if 0 < total < k:
            assert group_id not in shown
    # A tree where every group is 0 or >= k and every residual is too loses nothing.
    if all(g.own == 0 or g.own >= k for g in groups.values()):
        assert shown == set(groups)


def test_parent_minus_one_shown_child_is_hidden_by_complementary_suppression() -> None:
    # Parent "Localities" (own 0) with children of 6, 7 and 2 people; k = 5.
    groups = {
        1: GroupCount(None, 0),
        2: GroupCount(1, 6),
        3: GroupCount(1, 7),
        4: GroupCount(1, 2),
    }
    # Team 4 is hidden (2 < 5); team 2 too, since 15 - 6 - 7 = 2 would reveal team 4.
    assert suppress_tree(groups, 5) == {1, 3}
    assert subtree_totals(groups)[1] == 15


def test_gated_counts_withhold_a_count_that_the_total_would_give_away() -> None:
    # Response counts: the whole wave (own 0) with teams of 5, 2 and 0 respondents.
    groups = {0: GroupCount(None, 0), 1: GroupCount(0, 5), 2: GroupCount(0, 2), 3: GroupCount(0, 0)}
    # 2 < 5 is withheld; then 7 - 5 - 0 = 2 would give it: team 1 is withheld too. An
    # empty team is shown as 0 (it reveals nobody).
    assert gated_counts(groups, 5) == {0: 7, 1: None, 2: None, 3: 0}
    groups[2] = GroupCount(0, 6)
    assert gated_counts(groups, 5) == {0: 11, 1: 5, 2: 6, 3: 0}


@pytest.mark.parametrize(("n", "shown"), [(4, False), (5, True), (6, True), (0, True)])
def test_groups_of_k_minus_1_k_and_k_plus_1(n: int, shown: bool) -> None:
    groups = {1: GroupCount(None, 0), 2: GroupCount(1, n), 3: GroupCount(1, 10)}
    assert (2 in suppress_tree(groups, 5)) == shown


def test_minimum_below_three_is_refused() -> None:
    with pytest.raises(ValueError):
        suppress_tree({1: GroupCount(None, 5)}, 2)


@pytest.mark.parametrize(
    ("previous", "current", "safe"),
    [
        (10, 10, True),
        (10, 11, False),
        (10, 14, False),
        (10, 15, True),
        (4, 10, False),
        (10, 4, False),
    ],
)
def test_changes_between_waves_need_stable_or_large_moves(
    previous: int, current: int, safe: bool
) -> None:
    assert change_safe(previous, current, 5) is safe


@st.composite
def filtered_trees(
    draw: st.DrawFn,
) -> tuple[dict[int, int | None], dict[tuple[int, bool, bool], int], int]:
    """A small team tree whose members have two yes/no attributes (e.g. agency, manager)."""
    size = draw(st.integers(1, 4))
    parents: dict[int, int | None] = {
        g: None if g == 0 else draw(st.integers(0, g - 1)) for g in range(size)
    }
    people = {
        (g, a, b): draw(st.integers(0, 6))
        for g in range(size)
        for a in (True, False)
        for b in (True, False)
    }
    return parents, people, draw(st.integers(3, 5))


def _views(
    parents: dict[int, int | None], people: dict[tuple[int, bool, bool], int], k: int
) -> list[tuple[int, tuple[int, ...]]]:
    """Every (group, filters) figure the dashboard would show: filters 0 = a, 1 = b."""
    views: list[tuple[int, tuple[int, ...]]] = []
    for active in [(), (0,), (1,), (0, 1)]:
        rows = [(g, tuple((a, b)[i] for i in active), n) for (g, a, b), n in people.items()]
        views.extend((g, active) for g in suppress_filtered(parents, rows, k))
    return views


def _subtree(parents: dict[int, int | None], group: int) -> set[int]:
    inside = {group}
    changed = True
    while changed:
        changed = False
        for g, parent in parents.items():
            if parent in inside and g not in inside:
                inside.add(g)
                changed = True
    return inside


@settings(max_examples=200, deadline=None)
@given(filtered_trees())
def test_filters_and_teams_together_never_reveal_a_small_group(
    case: tuple[dict[int, int | None], dict[tuple[int, bool, bool], int], int],
) -> None:
    parents, people, k = case
    atoms = sorted(people)
    vectors = []
    for group, active in _views(parents, people, k):
        inside = _subtree(parents, group)
        vectors.append(
            [1 if g in inside and all((a, b)[i] for i in active) else 0 for g, a, b in atoms]
        )
    # The attacker adds and subtracts up to three shown figures (parents, siblings, filters).
    for size in (1, 2, 3):
        for chosen in combinations(range(len(vectors)), size):
            for signs in product((1, -1), repeat=size):
                combined = [
                    sum(sign * vectors[v][i] for sign, v in zip(signs, chosen, strict=True))
                    for i in range(len(atoms))
                ]
                if all(x in (0, 1) for x in combined):
                    derived = sum(people[a] for a, x in zip(atoms, combined, strict=True) if x)
                    assert derived == 0 or derived >= k, (parents, people, k, chosen, signs)


def test_the_filtered_attack_finds_leaks_when_cells_are_not_checked() -> None:
    # Team 1 (child of 0) has 6 staff, one of them agency; the whole has 12, two agency.
    parents: dict[int, int | None] = {0: None, 1: 0}
    people = {
        (0, True, False): 1,
        (0, False, False): 5,
        (1, True, False): 1,
        (1, False, False): 5,
        (0, True, True): 0,
        (0, False, True): 0,
        (1, True, True): 0,
        (1, False, True): 0,
    }
    # Filtering on "agency" alone would show 2 for the whole (fewer than k) — refused:
    rows = [(g, (a,), n) for (g, a, _b), n in people.items()]
    assert suppress_filtered(parents, rows, 5) == set()
    # Unfiltered, both groups are shown (12 and 6, residual 6).
    assert suppress_filtered(parents, [(g, (), n) for (g, _a, _b), n in people.items()], 5) == {
        0,
        1,
    }

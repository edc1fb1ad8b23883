"""Disclosure control: the one place that decides which group figures may be shown.

Every table, chart and export of people's answers goes through these functions.

Groups form a tree (organisation → teams → sub-teams). A figure for a group reveals the
group's members' answers in aggregate, and so does any sum or difference of shown figures.
For nested groups the smallest groups an attacker can derive are each shown group minus
its largest shown sub-groups (its *residual*). So the rule is:

1. *Primary*: a group with 0 < n < k is hidden.
2. *Complementary*: every shown group's residual must be 0 or at least k; while it is not,
   hide the smallest shown sub-group that still has members (the "next-smallest sibling").

Continuous collections (conference feedback, collected all year) are reported for periods
of whole months chosen freely (a month, a quarter, "April to December"). Months are joined
into *blocks* of at least k forms (``period_blocks``) and a period is shown only when it
takes whole blocks, so any difference between two shown periods is whole blocks too. A
breakdown (by agency) is grouped within each block (``breakdown_groups``) and a period
uses the finest grouping coarser than each of its blocks' (``join_groupings``): every
figure shown is then a sum of fixed (block, group) cells of 0 or at least k forms.

Filters (role, employment type, …) split a group into cells: with filters F1..Fm active a
user can also query the group with any subset of them, so every cell of the
inclusion–exclusion table (F1 and not F2, …) must be 0 or at least k.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, product

ABSOLUTE_MINIMUM = 3
# Fewest authorities behind any figure compared across authorities (a median, quartiles),
# always from a fixed group (every contributing authority, or statistical neighbours an
# administrator loads), never one a lead or executive chooses: with a chosen set a median
# of three can equal one authority's own figure.
MIN_COMPARATORS = 5
MAX_FILTERS = 2


@dataclass(frozen=True)
class GroupCount:
    """One group in a tree: its parent and the count of members not in any sub-group."""

    parent: int | None
    own: int


def _check_k(k: int) -> None:
    if k < ABSOLUTE_MINIMUM:
        raise ValueError(f"the minimum group size cannot be below {ABSOLUTE_MINIMUM}")


def subtree_totals(groups: Mapping[int, GroupCount]) -> dict[int, int]:
    """Members of each group including all its sub-groups."""
    totals = {group_id: group.own for group_id, group in groups.items()}
    for group_id, group in groups.items():
        parent = group.parent
        seen = {group_id}
        while parent is not None:
            if parent in seen:
                raise ValueError("the groups form a cycle")
            seen.add(parent)
            totals[parent] += group.own
            parent = groups[parent].parent
    return totals


def _maximal_shown_descendants(
    group_id: int, children: Mapping[int | None, list[int]], shown: set[int]
) -> list[int]:
    found: list[int] = []
    stack = list(children.get(group_id, []))
    while stack:
        child = stack.pop()
        if child in shown:
            found.append(child)
        else:
            stack.extend(children.get(child, []))
    return found


def suppress_tree(
    groups: Mapping[int, GroupCount], k: int, known: Mapping[int, int] | None = None
) -> set[int]:
    """The ids of groups that may be shown (primary + complementary suppression).

    A virtual root (the whole organisation, id ``None`` as parent) is always checked as
    well: its total may be shown only if the caller shows it; pass the organisation as a
    real group to include it.

    ``known``: of each group's own members, how many shared some of their answers by name
    (a survey's opt-in for support or training). Their answers count as known to whoever
    reads the opt-ins, so a group (and every residual) is treated as holding k people only
    when at least k of them shared nothing by name; a group with members but none of them
    unnamed is never shown.
    """
    _check_k(k)
    totals = subtree_totals(groups)
    unnamed = totals
    if known:
        unnamed = subtree_totals(
            {
                group_id: GroupCount(group.parent, max(0, group.own - known.get(group_id, 0)))
                for group_id, group in groups.items()
            }
        )
    children: dict[int | None, list[int]] = {}
    for group_id, group in groups.items():
        children.setdefault(group.parent, []).append(group_id)
    shown = {group_id for group_id, total in totals.items() if total == 0 or unnamed[group_id] >= k}
    changed = True
    while changed:
        changed = False
        for group_id in sorted(shown, key=lambda g: totals[g]):
            if group_id not in shown:
                continue
            below = _maximal_shown_descendants(group_id, children, shown)
            residual = totals[group_id] - sum(totals[d] for d in below)
            residual_unnamed = unnamed[group_id] - sum(unnamed[d] for d in below)
            if residual > 0 and residual_unnamed < k:
                candidates = [d for d in below if totals[d] > 0]
                if not candidates:  # cannot happen: then residual == total, shown only >= k
                    shown.discard(group_id)
                else:
                    shown.discard(min(candidates, key=lambda d: (totals[d], d)))
                changed = True
    return shown


def gated_counts(
    groups: Mapping[int, GroupCount], k: int, known: Mapping[int, int] | None = None
) -> dict[int, int | None]:
    """Each group's count (its own members and its sub-groups') where primary and
    complementary suppression allow it, else None. Every count a page shows — responses,
    diary participation, raters by role, comment counts — goes through here, so no hidden
    group can be worked out by subtracting shown counts from a shown total. A zero is shown:
    an empty group reveals nobody. ``known``: see ``suppress_tree``."""
    totals = subtree_totals(groups)
    shown = suppress_tree(groups, k, known)
    return {group_id: totals[group_id] if group_id in shown else None for group_id in groups}


def cells_safe(counts: Iterable[int], k: int) -> bool:
    """Whether every one of the finest cells a set of figures is built from holds 0 or at
    least k people: then any sum or difference of those figures covers 0 or at least k."""
    _check_k(k)
    return all(count == 0 or count >= k for count in counts)


def suppress_filtered(
    parents: Mapping[int, int | None],
    people: Iterable[tuple[int, tuple[bool, ...], int]],
    k: int,
) -> set[int]:
    """Groups of a tree whose figures may be shown with filters active.

    ``parents`` maps each group to its parent (``None`` for the root); ``people`` gives, for
    each group's own members, whether they match each active filter and how many they are.
    With filters active a user can also query the group with any subset of them (and with
    none), so the members split into the cells of every subset; each cell forms its own tree
    of groups, protected by primary and complementary suppression. A group is shown only
    when it is shown in every one of those trees: then no cell of it (e.g. "agency staff not
    in team A") and no difference between groups within a cell is smaller than k.
    """
    _check_k(k)
    rows = list(people)
    width = len(rows[0][1]) if rows else 0
    if width > MAX_FILTERS:
        raise ValueError(f"at most {MAX_FILTERS} filters may be combined")
    shown = set(parents)
    for size in range(width + 1):
        for subset in combinations(range(width), size):
            for cell in product((True, False), repeat=size):
                own: dict[int, int] = dict.fromkeys(parents, 0)
                for group, matches, count in rows:
                    if all(matches[i] is value for i, value in zip(subset, cell, strict=True)):
                        own[group] += count
                tree = {g: GroupCount(parent, own[g]) for g, parent in parents.items()}
                shown &= suppress_tree(tree, k)
    return shown


def period_blocks(counts: Sequence[int], k: int) -> list[tuple[int, int]]:
    """Consecutive periods (months, in order, with how many forms each holds) joined into
    blocks of at least k: each block is (first index, last index). The blocks are made
    from the first period on, so adding periods at the end never moves an earlier block;
    the periods after the last block (fewer than k so far) belong to no block yet."""
    _check_k(k)
    blocks: list[tuple[int, int]] = []
    start, total = 0, 0
    for index, count in enumerate(counts):
        if count < 0:
            raise ValueError("a count cannot be negative")
        total += count
        if total >= k:
            blocks.append((start, index))
            start, total = index + 1, 0
    return blocks


def breakdown_groups(counts: Mapping[str, int], k: int) -> list[frozenset[str]]:
    """One block's categories (agencies, with their counts) grouped so that every group
    holds 0 or at least k: a category with at least k (or none) stands alone; the others
    are merged into one group; while that group holds fewer than k, the smallest category
    standing alone joins it (complementary suppression: otherwise the total minus the
    shown categories would give it)."""
    _check_k(k)
    alone = {name for name, count in counts.items() if count == 0 or count >= k}
    merged = set(counts) - alone
    while merged and 0 < sum(counts[name] for name in merged) < k:
        candidates = [name for name in alone if counts[name] > 0]
        if not candidates:
            break
        smallest = min(candidates, key=lambda name: (counts[name], name))
        alone.discard(smallest)
        merged.add(smallest)
    groups = [frozenset({name}) for name in sorted(alone)]
    return groups + ([frozenset(merged)] if merged else [])


def join_groupings(groupings: Iterable[Iterable[frozenset[str]]]) -> list[frozenset[str]]:
    """The finest grouping that is coarser than each of ``groupings`` (categories grouped
    together in any of them end up together): a period's breakdown from its blocks'."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for grouping in groupings:
        for group in grouping:
            members = sorted(group)
            for name in members:
                root(name)
            for other in members[1:]:
                parent[root(other)] = root(members[0])
    joined: dict[str, set[str]] = {}
    for name in list(parent):
        joined.setdefault(root(name), set()).add(name)
    return sorted((frozenset(g) for g in joined.values()), key=lambda g: sorted(g))


def change_safe(previous_n: int, current_n: int, k: int) -> bool:
    """Whether a change between two waves may be shown for a group: both waves must be
    shown, and the number of respondents must not have moved by fewer than k (a change
    caused by one or two people joining or leaving would reveal their answers)."""
    _check_k(k)
    if previous_n < k or current_n < k:
        return False
    moved = abs(current_n - previous_n)
    return moved == 0 or moved >= k

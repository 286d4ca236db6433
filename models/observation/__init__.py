"""Observation stage: open health-observation sites and place each care home's groups there (DESIGN §5.1).

A capacitated facility-location model, solved exactly in three lexicographic phases.

Sets
----
``G``
    home-groups ``g`` = (home_id, group), one per row of ``groups``; ``D ⊆ G`` the ``disabled`` groups.
``S``
    the non-closed sites ``s`` (status ``open`` or ``candidate``); ``S_open ⊆ S`` those already open.
    Closed sites take nobody and never open.
``A``
    the allowed arcs ``(g, s)``: the pipeline's home -> site arcs (already within the transfer limit and among
    the k nearest), repeated for every group of the home, less the arcs to closed sites and — when
    ``barrier_free_for_disabled`` — less the arcs from disabled groups to sites that are not barrier-free
    (constraint 3). Arcs to a site without a room stay (they carry nobody by (2); they show what a room there
    would do).
``T``
    the streets ``t`` that have a non-closed site; ``S_t`` those sites.

Data
----
``persons_g``; ``cap_s = rooms_s * persons_per_room``; ``cost_s`` the opening cost of a candidate;
``minutes_gs`` the travel time of an arc. Opening cost and person-minutes are added in one unit: the design
takes ``opening_cost`` to be in yuan-equivalent minutes. Both are counted in tenths of a minute and rounded to
integers (``COST_SCALE``): the flow and CP-SAT solvers are integral, and 0.1 min is far below what the data
knows. Reported objectives are in minutes (the integer objective divided by ``COST_SCALE``).

Variables
---------
``assign_persons[g, s] ∈ Z≥0`` for ``(g, s) ∈ A``; ``open_site[s] ∈ {0, 1}`` for ``s ∈ S``;
``unmet_persons[g] ∈ Z≥0`` for ``g ∈ G``.

Constraints
-----------
(1) balance: ``Σ_s assign_persons[g, s] + unmet_persons[g] = persons_g`` for every ``g``.
(2) site capacity: ``Σ_g assign_persons[g, s] <= cap_s * open_site[s]`` for every ``s``; with the valid
    inequality ``assign_persons[g, s] <= min(persons_g, cap_s) * open_site[s]`` per arc (same integer points,
    a much tighter LP relaxation for CP-SAT's LP subsolver).
(3) barrier-free: ``assign_persons[g, s] = 0`` for ``g ∈ D`` and ``s`` not barrier-free when the rule is on —
    imposed by leaving those arcs out of ``A`` (the variables are never built).
(4) street minimum: ``Σ_{s ∈ S_t} open_site[s] >= required_t = min(sites_per_street_min, |S_t|)`` for every
    ``t ∈ T``. It may open a candidate nobody is sent to: that is the rule.
(5) open sites stay open: ``open_site[s] = 1`` for ``s ∈ S_open``.
(6) phase (iii) only — the earlier levels kept: ``Σ_{g ∈ D} unmet_persons[g] <= U_D*`` and
    ``Σ_g unmet_persons[g] <= U*``.

Objective (lexicographic)
-------------------------
(i) minimise ``U_D = Σ_{g ∈ D} unmet_persons[g]``; (ii) minimise ``U = Σ_g unmet_persons[g]``;
(iii) minimise ``Σ_{s ∈ S \\ S_open} cost_s * open_site[s] + Σ_A minutes_gs * assign_persons[g, s]``.

Solution method
---------------
Phases (i)-(ii) are exact maximum flows. Any non-closed site may open and opening is only charged in (iii), so
the unmet figures do not depend on ``open_site``: with every site of ``S`` open, (1)-(3) are a transportation
problem (groups -> sites -> sink, capacities ``persons_g`` and ``cap_s``). *Claim*: ``U_D* = p(D) - F(D)`` and
``U* = p(G) - F(G)``, ``F(X)`` the maximum flow from the groups ``X`` alone. *Proof*: the vectors of placed persons
per group that some flow achieves are the integer points of a polymatroid (by the max-flow min-cut theorem they
are ``0 <= y <= persons`` with ``y(X) <= Σ_{s reached from X} cap_s`` for every ``X``; a box cut with the
polymatroid of a monotone submodular coverage function is a polymatroid) whose rank is ``F``. The most disabled
persons placed is ``F(D)``, i.e. (i). In a polymatroid every independent vector extends to a base and all bases
sum to ``F(G)``, so a vector placing ``F(D)`` disabled extends to one placing ``F(G)`` in all: (ii) reaches the
unconstrained maximum ``F(G)`` with (i) at its optimum. (4)-(5) only open sites, so they change neither figure.
Two ``SimpleMaxFlow`` solves give both exactly (integral). They replace a min-cost flow with unmet costs
``P + 2`` (disabled) and 1 — lexicographic too, since ``(P + 1) U_D + U`` with ``U <= P`` orders by ``U_D`` then
``U`` — which gave the same figures 15-25x slower (1.15 s against 0.07 s at 6,000 homes x 1,500 sites).

Warm start and bound. With the unmet persons routed through two nodes of capacity ``U_D*`` and ``U* - U_D*``
(constraint 6) every feasible flow keeps the optimum of (i)-(ii) in every connected component (the components'
minima add up to the totals, and no component can go below its own). A min-cost flow with arc cost
``minutes_gs + cost_s / cap_s`` for free candidates ``s`` (the opening cost spread over a full site; scaled by
``BOUND_SCALE`` and floored, so that it stays a lower bound) is the LP relaxation of (1)-(3), (6) with the weak
form of (2): since ``open_site[s] >= Σ_g assign_persons[g, s] / cap_s``, its cost plus the opening cost of the
candidates that must open is a lower bound of phase (iii) in each component. Its assignment, with the sites it
uses opened and (4) repaired by the cheapest candidates of a street, is a feasible plan; slope-scaling rounds
(the opening cost of a candidate divided by the persons the last round sent there) give more, and each
component takes the cheapest as its hint.

Arc restriction (optional, ``cost_arcs_per_group = k``). Phases (i)-(ii) always use every allowed arc: they are
cheap and their figures are the rule's. Phase (iii) may keep only each group's k cheapest arcs plus every arc of a
least-minutes flow that holds the unmet optimum: that flow stays feasible, so (6) can still be met, and the
facility-location model shrinks several-fold. Its optimum, bound and status are then those of the restricted
model (stats ``cost_phase_arcs``); reasons and marginal values still look at every allowed arc.

Phase (iii). Facility location proper, decomposed by the connected components of the graph whose nodes are
groups and sites and whose edges are the arcs ``A`` and, for a street where (4) leaves a choice, links among
its candidates. A candidate is *forced* open when its street lacks as many open sites as it has candidates
(then (4) fixes it). A component without a free candidate is a transportation problem and the spread flow is
its optimum (its arcs carry ``minutes`` only). A component whose hint meets its lower bound is optimal as it is.
Every other component is a CP-SAT model (``models.base.cp_sat_solver``: max_lp subsolver) of (1), (2), (4)-(6)
with the hint; the time limit is shared among components in proportion to their size, smallest first, time a
small one leaves passing on. A component stopped at its limit keeps its best plan (never worse than the hint)
and reports its bound (CP-SAT's or the flow bound, the larger); the stage's bound is the sum over components.

Outputs (``StageResult.tables``)
--------------------------------
``sites``: site_id, street_id, status, open, opened (a candidate opened by the plan), rooms, capacity, persons,
persons_disabled, barrier_free, free_rooms (0 where not open), opening_cost.
``assignments``: home_id, street_id, site_id, group, persons, minutes.
``unmet``: home_id, street_id, group, persons, reason, binding_sites; reason ``no_room_in_reach`` (no arc to a
site with a room), ``no_barrier_free_room_in_reach`` (a disabled group whose reachable rooms are all in sites
that are not barrier-free) or ``rooms_used_up`` (binding_sites: the full sites in reach, comma-joined).
``streets``: street_id, usable_sites, open_sites, required, met, rule_min.
``marginal``: site_id, value, unmet_group — persons one more room at the site would place (the phase (i)-(ii)
optimum with ``cap_s + persons_per_room``; computed exactly by augmenting paths in the residual graph of the
plan's flow) and ``disabled`` when it would place a disabled person, ``other`` when only others, ``""`` when 0.

Modules
-------
``instance`` (sets and data as arrays), ``flows`` (phases (i)-(ii), warm start and bound), ``facility`` (phase
(iii) by component), ``tables`` (output tables and room marginal values), ``stage`` (:func:`solve_observation`).
"""

from models.observation.instance import COST_SCALE
from models.observation.stage import solve_observation

__all__ = ["COST_SCALE", "solve_observation"]

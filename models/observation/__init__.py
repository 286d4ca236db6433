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
    the allowed arcs ``(g, s)``: the pipeline's home -> site arcs (every site within the transfer limit, or the
    k nearest when the pipeline limits them), repeated for every group of the home, less the arcs to closed sites
    and — when ``barrier_free_for_disabled`` — less the arcs from disabled groups to sites that are not
    barrier-free (constraint 3). Arcs to a site without a room stay (they carry nobody by (2); they show what a
    room there would do).
``T``
    the streets ``t`` that have a non-closed site; ``S_t`` those sites.

Data
----
``persons_g``; ``cap_s = rooms_s * persons_per_room``; ``cost_s`` the opening cost of a candidate (yuan) and
``rate = minutes_per_yuan`` (default 1: the design takes ``opening_cost`` in yuan-equivalent minutes);
``minutes_gs`` the travel time of an arc. All exact floats: nothing is rounded in the objective, the bound or the
reported figures (the min-cost flows round minutes to 1e-9 minute and account for it, see "Plans").

Variables
---------
``assign_persons[g, s] ∈ Z≥0`` for ``(g, s) ∈ A``; ``open_site[s] ∈ {0, 1}`` for ``s ∈ S``;
``unmet_persons[g] ∈ Z≥0`` for ``g ∈ G``.

Constraints
-----------
(1) balance: ``Σ_s assign_persons[g, s] + unmet_persons[g] = persons_g`` for every ``g``.
(2) site capacity: ``Σ_g assign_persons[g, s] <= cap_s * open_site[s]`` for every ``s``;
(2') linking, a valid inequality: ``assign_persons[g, s] <= min(persons_g, cap_s) * open_site[s]`` per arc to a
    free candidate (same integer points, the strong LP relaxation).
(3) barrier-free: ``assign_persons[g, s] = 0`` for ``g ∈ D`` and ``s`` not barrier-free when the rule is on —
    imposed by leaving those arcs out of ``A`` (the variables are never built).
(4) street minimum: ``Σ_{s ∈ S_t} open_site[s] >= required_t = min(sites_per_street_min, |S_t|)`` for every
    ``t ∈ T``. It may open a candidate nobody is sent to: that is the rule.
(5) open sites stay open: ``open_site[s] = 1`` for ``s ∈ S_open``.
(6) phase (iii) only — the earlier levels kept: ``Σ_{g ∈ D} unmet_persons[g] <= U_D*`` and
    ``Σ_g unmet_persons[g] <= U*``.
(7) cover, a valid inequality of (1), (2), (6): ``Σ_{free s} cap_s open_site[s] >= P - U* - Σ_{s open for sure} cap_s``.

Objective (lexicographic)
-------------------------
(i) minimise ``U_D = Σ_{g ∈ D} unmet_persons[g]``; (ii) minimise ``U = Σ_g unmet_persons[g]``;
(iii) minimise ``rate * Σ_{s ∈ S \\ S_open} cost_s * open_site[s] + Σ_A minutes_gs * assign_persons[g, s]``.

Solution method
---------------
Where two or more connected components of groups, sites and streets each hold a tenth of the arcs, each is solved
apart (the small ones together), at once on the stage's workers (``parts``): no constraint spans two components and
every level of the objective is a sum over them, so their optima make the model's, and their bounds add up.

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
Two ``SimpleMaxFlow`` solves give both exactly (integral).

Phase (iii) (``facility``) decides ``open_site`` for the *free* candidates only: a candidate is *forced* open when
its street lacks as many open sites as it has candidates (then (4) fixes it); a candidate with no arc and no choice
street stays shut; its opening cost then is a constant. Always on the full model — every allowed arc — as follows.

*Plans* (``search``). With the open sites fixed, (1)-(3), (6) are a min-cost flow whose unmet persons leave through
two nodes of capacity ``U_D*`` and ``U* - U_D*`` (``flows.transport``): integral, and optimal for the exact minutes
to within ``2 * P * max rounding error`` of its 1e-9-minute costs (zero for minutes with at most 9 decimals). The
first plan is the held maximum flow with the sites it uses opened (feasible by (i)-(ii)); every later plan is a
transport of an open set, so the reported objective is the exact cost of an integral plan.

*Bound* (``lagrangian``). Relaxing (1) with multipliers ``λ`` splits the strong formulation into a continuous
knapsack per site (``knap_s``, the negative reduced costs ``minutes - λ_g`` cheapest first), a choice of sites
``min Σ v_s open_site[s]`` (``v_s = rate * cost_s + knap_s``) under (4) and (7) — bounded below by the larger of its
street-only and its cover-only minimum, each exact — and the unmet persons ``max Σ λ_g unmet_g`` under (6), exact by
a greedy on laminar budgets. By weak duality ``L(λ) <= optimum`` for *every* ``λ``; it is computed exactly over all
arcs, so the bound never depends on a restriction, a solver tolerance or convergence. Without (7) its maximum is
the strong LP's value (the subproblems have the integrality property); (7) can lift it above (capa: 2 % above).

*Route columns* (at most half the arcs end at a free candidate: the samples). The strong LP by column generation in
HiGHS (``columns``): each group's ``k`` cheapest arcs (``cost_arcs_per_group``, default 8) and the held flow's arcs,
then every arc outside priced with the duals, ``minutes - λ_g - μ_s < 0`` entering with its linking row, re-solved
from the basis until none is left. Bound ``L(λ_LP)``. Plans: the LP's ``open_site`` rounded up (every positive
value; the LP's own assignment fits), then at 0.5, each open set assigned by the same LP with ``open_site`` fixed and
priced over all arcs (a transportation problem: its optimal vertex is integral; checked before use), then the
fractional sites closed one by one while that pays. When the LP is integral (the samples) plan and bound meet.

*Route lagrangian* (the others: OR-Library instances). Subgradient ascent of ``L`` (Polyak steps towards the
incumbent's cost), the Lagrangian heuristic every 25 steps (the relaxation's open sites, repaired, transported),
a proof by fixing alone when it closes every candidate (below), then local search (close, open, swap one candidate;
each move priced by a transport) from the best plan and from the next best distinct heuristic plans until three
starts in a row bring nothing.

*Fixing and the reduced MIP*. With ``UB`` the incumbent's cost and ``L`` at the best ``λ``: flipping a free site's
``open_site`` from the relaxation's choice raises ``L`` by ``Δ_s`` (re-solving the site choice), one person on an
arc outside its knapsack by at least ``rc - critical_s`` (the knapsack's LP dual), plus ``Δ_s`` when its site is
closed in the relaxation. Every plan costs at least ``L`` plus its penalties, so a site with ``L + Δ_s > UB`` keeps
its value and an arc with ``L + penalty > UB`` carries nobody in any plan cheaper than ``UB``. The rest goes to
HiGHS's MIP (strong formulation with (7), the incumbent as start, relative gap 5e-10) piece by piece (``reduced``):
each piece a set of the core's components (the unmet rows (6) at each component's own optimum, which every plan
within (6) holds), a piece of at most 250,000 arcs. Any plan cheaper than ``UB`` is feasible there, so the full
model's optimum is at least ``min(UB, B_MIP)`` (``B_MIP`` the sum of the pieces' HiGHS dual bounds, or of a
piece's own ``L(λ)`` where its MIP has none; ``UB`` itself when a piece is infeasible); the MIPs' sites are
re-assigned over all arcs by a transport.

*Status*. The stage's bound is the largest of these; ``optimal`` exactly when
``objective - bound <= 1e-9 * max(1, |objective|)`` (``facility.OPTIMALITY_TOLERANCE``), else ``feasible`` with
bound and gap. Time: the steps stop at ``time_limit_s`` less what the tables need (5 % of the limit, at least
0.2 µs per arc). HiGHS gets the time left (its limit counts the run time of earlier solves of the same object); an
ascent step, a column round, a local-search move or a heuristic flow starts only when it is expected to fit (a flow
cannot be interrupted: its time is measured, or estimated as 30 held maximum flows). Preparing the instance, the
two maximum flows of (i)-(ii) and the held flow always run: with a limit shorter than they take (about 1.2 s at
national) the stage returns the held plan, ``feasible``, a little late. HiGHS is
``highspy`` 1.12.0, the HiGHS inside OR-Tools, in-process beside it; without it the Lagrangian route runs alone.

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
``instance`` (sets and data as arrays), ``flows`` (phases (i)-(ii), the held flow, the transportation problem),
``location`` (the phase (iii) core and the strong formulation in HiGHS, one function per constraint family),
``lagrangian`` (bound and penalties), ``columns`` (the strong LP by column generation), ``search`` (plans: repair,
local search), ``facility`` (phase (iii): routes, status), ``reduced`` (fixing, the MIP piece by piece), ``parts``
(independent components solved apart), ``tables`` (output tables and room marginal values), ``stage``
(:func:`solve_observation`).
"""

from models.observation.stage import solve_observation

__all__ = ["solve_observation"]

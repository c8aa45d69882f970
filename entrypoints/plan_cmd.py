"""``hotline plan``: the fewest agents per interval and skill group, found by simulation, written back as a
scenario; and ``hotline erlang``'s staffing answer (``--target``)."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml
from rich.table import Table

from entrypoints.terminal import console, fail_on_input, progress_bar
from inputs.problems import InputFileError

log = logging.getLogger("hotline.plan")


class PlanMethod(str, Enum):
    search = "search"
    isa = "isa"


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x * 100:.1f}%"


def _ci(triple: tuple[float, float, float]) -> str:
    mean, low, high = triple
    if math.isnan(mean):
        return "-"
    if math.isnan(low):
        return _pct(mean)
    return f"{_pct(mean)} [{_pct(max(0.0, low))}, {_pct(min(1.0, high))}]"  # a rate's CI shown within [0, 1]


def write_planned(source: Path, staffing, group_names: list[str], dest: Path, header: str) -> None:
    """The source scenario with each group's staffing per interval (shifts replaced); comments are not kept."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    for group in document["groups"]:
        counts = list(staffing[group_names.index(group["name"])])
        group["staffing"] = counts
        group.pop("shifts", None)
        if "agents" in group and len(group["agents"]) < max(counts, default=0):
            group.pop("agents")  # generated IDs <group>-001.. for the larger staffing
        if max(counts, default=0) == 0 and "agents" not in group:
            group["agents"] = [f"{group['name']}-001"]  # never on duty, but its skills stay (overflow targets)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def plan_command(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario file (YAML) with tonight's airings, e.g. scenarios/live_program.yaml.")
    ],
    replications: Annotated[
        int, typer.Option(min=2, help="First batch of replications of every candidate staffing.")
    ] = 10,
    max_replications: Annotated[
        int,
        typer.Option(
            min=2, help="Replications a candidate may grow to while a 95% CI straddles a target (the stopping rule)."
        ),
    ] = 40,
    batch: Annotated[int, typer.Option(min=1, help="Replications added per step of the stopping rule.")] = 10,
    seed: Annotated[
        Optional[int], typer.Option(help="Override the scenario's seed (same seeds for every candidate).")
    ] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Local Dask workers (default: one per CPU).")] = None,
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            help="A running Dask scheduler, tcp://HOST:PORT, instead of a "
            "local cluster; its workers need Hotline installed."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="The planned scenario is written to OUT/<scenario>/planned.yaml.")] = Path(
        "out"
    ),
    conversion: Annotated[
        Optional[float],
        typer.Option(min=0, max=1, help="Orders per answered call, to price the abandons (with --order-value)."),
    ] = None,
    order_value: Annotated[Optional[float], typer.Option(min=0, help="Average order value, yuan.")] = None,
    from_scenario: Annotated[
        bool,
        typer.Option(
            "--from-scenario",
            help="Search from the scenario's own staffing in "
            "steps of one agent (re-check a plan) instead of the first guess.",
        ),
    ] = False,
    method: Annotated[
        PlanMethod,
        typer.Option(
            help="search: from the transient first guess, the fewest agents meeting the service-level and abandon "
            "targets, with the one-fewer check. isa: Feldman-Mandelbaum-Massey-Whitt's iterative staffing algorithm "
            "(from ample staffing, each interval's agents set from the simulated number in system to a delay-"
            "probability target and the abandon target, until the staffing stops changing)."
        ),
    ] = PlanMethod.search,
    compare: Annotated[
        bool, typer.Option("--compare", help="Run both methods and print their staffing and agent-hours side by side.")
    ] = False,
    isa_replications: Annotated[
        int, typer.Option(min=2, help="ISA: replications per iteration (the same seeds in every iteration).")
    ] = 20,
    delay_probability: Annotated[
        Optional[float],
        typer.Option(
            min=0.0, max=1.0, help="ISA: the delay-probability target alpha (default: 1 - the service-level target)."
        ),
    ] = None,
):
    """Find the fewest agents per interval (per skill group) whose simulated KPIs meet the scenario's targets
    with 95% confidence: start from the exact transient estimate (MOL shown beside it), then search by
    simulation with common random numbers on Dask, and check that one agent fewer in any interval misses.
    Prints the staffing, the KPIs with their CIs, cost in agent-hours beside the calls (and revenue) lost to
    abandons, and writes the staffing back as a scenario. --method isa plans by the iterative staffing
    algorithm instead (its iterations are printed); --compare runs both and prints them side by side."""
    from twin.isa import IsaSettings, plan_isa
    from twin.optimise import Settings, plan, scenario_staffing
    from twin.site import load_scenario
    from twin.sweep import Sweep

    if max_replications < replications:
        raise typer.BadParameter("must be at least --replications", param_hint="--max-replications")
    try:
        spec = load_scenario(scenario)
    except InputFileError as error:
        fail_on_input(error)
    settings = Settings(replications=replications, batch=batch, max_replications=max_replications)
    with progress_bar(transient=True) as progress:
        isa = IsaSettings(replications=isa_replications, delay_probability=delay_probability)
        task = progress.add_task("replications simulated", total=None)
        iterations = progress.add_task(
            "ISA iterations (until the staffing stops changing)",
            total=isa.max_iterations,
            visible=method == PlanMethod.isa or compare,
        )

        def on_iteration(it) -> None:
            progress.advance(iterations)
            console.print(
                f"ISA iteration {progress.tasks[iterations].completed:.0f}: simulated {_hours(spec, it.staffing):.1f} "
                f"agent-hours, next {_hours(spec, it.next_staffing):.1f}, largest change {it.change} agent(s)"
            )
            log.info("ISA staffing %s -> %s", it.staffing, it.next_staffing)

        results = {}
        with Sweep(scheduler, workers) as sweep:
            console.print(f"sweep on {sweep.address} with {sweep.worker_count} worker(s)")
            try:
                if method == PlanMethod.search or compare:
                    results[PlanMethod.search] = plan(
                        spec,
                        sweep,
                        settings,
                        seed,
                        on_task=lambda: progress.advance(task),
                        on_round=lambda text: log.info("%s", text),
                        start=scenario_staffing(spec) if from_scenario else None,
                    )
                if method == PlanMethod.isa or compare:
                    results[PlanMethod.isa] = plan_isa(
                        spec, sweep, settings, isa, seed, lambda: progress.advance(task), on_iteration
                    )
            except ValueError as error:
                console.print(f"[red]{error}[/red]")
                raise typer.Exit(1) from error
    result = results[method]
    _print_plan(spec, result, conversion, order_value)
    if compare:
        _print_comparison(spec, results[PlanMethod.search], results[PlanMethod.isa])
    dest = out / scenario.stem / "planned.yaml"
    write_planned(
        scenario,
        result.staffing,
        [g.name for g in spec.groups],
        dest,
        f"# planned by `hotline plan {scenario} --method {method.value}`: {result.agent_hours():.1f} agent-hours\n",
    )
    load_scenario(dest)  # what was written loads back
    console.print(f"wrote {dest}")


def _hours(spec, staffing) -> float:
    return sum(map(sum, staffing)) * spec.interval / 3600.0


def _print_comparison(spec, search, isa) -> None:
    """The two methods' staffing per interval and group side by side, with their agent-hours."""
    zone = spec.start.tzinfo
    names = [g.name for g in spec.groups]
    table = Table(title="search vs ISA (Feldman, Mandelbaum, Massey and Whitt)")
    table.add_column("interval", justify="right")
    for name in names:
        table.add_column(f"{name} search", justify="right", style="bold")
        table.add_column(f"{name} ISA", justify="right", style="magenta")
    for k, row in enumerate(search.evaluation.intervals):
        cells = []
        for g in range(len(names)):
            cells += [str(search.staffing[g][k]), str(isa.staffing[g][k])]
        table.add_row(datetime.fromtimestamp(row.start, zone).strftime("%H:%M"), *cells)
    console.print(table)
    verdict = {True: "meets the targets", False: "[red]misses the targets[/red]"}
    console.print(
        f"search: {search.agent_hours():.1f} agent-hours, {verdict[search.evaluation.meets]}; "
        f"ISA: {isa.agent_hours():.1f} agent-hours after {len(isa.iterations)} iterations, "
        f"{verdict[isa.evaluation.meets]} (difference {isa.agent_hours() - search.agent_hours():+.1f})"
    )


def _print_plan(spec, result, conversion: float | None, order_value: float | None) -> None:
    zone = spec.start.tzinfo
    t = spec.targets
    names = [g.name for g in spec.groups]
    how = "ISA staffing, evaluated against" if result.method == "isa" else "staffing that meets"
    table = Table(
        title=f"{spec.name} — {how} {t.service_level:.0%} in {t.within:g}s and "
        f"abandon ≤ {t.max_abandon_rate:.0%} with 95% confidence ({result.evaluation.replications} replications)"
    )
    table.add_column("interval", justify="right")
    for name in names:
        table.add_column(f"{name} agents", justify="right", style="bold")
    table.add_column("first guess (transient)", justify="right", style="cyan")
    table.add_column("MOL", justify="right", style="cyan")
    table.add_column("offered", justify="right")
    table.add_column(f"SL {t.within:g}s [95% CI]", justify="right")
    table.add_column("abandon [95% CI]", justify="right")
    table.add_column("one fewer (per group)", justify="right")
    for k, row in enumerate(result.evaluation.intervals):
        fewer = []
        for g in range(len(names)):
            e = result.neighbours.get((g, k))
            if e is None:
                fewer.append("-")
                continue
            worst = e.intervals[e.missing()[0]] if e.missing() else None
            fewer.append("misses" if worst else "[red]still meets[/red]")
        table.add_row(
            datetime.fromtimestamp(row.start, zone).strftime("%H:%M"),
            *[str(result.staffing[g][k]) for g in range(len(names))],
            "/".join(str(result.first_guess[g][k]) for g in range(len(names))),
            "/".join(str(result.mol_guess[g][k]) for g in range(len(names))),
            f"{row.offered:.0f}",
            _ci(row.sl),
            _ci(row.abandon),
            " / ".join(fewer),
        )
    console.print(table)
    abandoned = sum(i.abandoned for i in result.evaluation.intervals)
    lost = (
        f"{abandoned * conversion * order_value:,.0f} yuan revenue lost to abandons "
        f"({conversion:.0%} conversion × {order_value:,.0f} yuan)"
        if conversion is not None and order_value is not None
        else "give --conversion and --order-value to price them"
    )
    console.print(
        f"cost: {result.agent_hours():.1f} agent-hours (first guess {result.agent_hours(result.first_guess):.1f}, "
        f"MOL {result.agent_hours(result.mol_guess):.1f}); {abandoned:.1f} calls abandoned per slot; {lost}"
    )
    console.print(
        f"{'ISA' if result.method == 'isa' else 'searched'}: {result.candidates} staffings, "
        f"{result.replications_run} replications (common random numbers)"
    )
    for note in result.notes:
        console.print(f"[yellow]{note}[/yellow]")


def erlang_target(
    rate: float, handle: float, patience: float, service_level: float, within: float, max_abandon: float | None
) -> None:
    """Print the fewest agents for the targets and the figures at that staffing."""
    from twin.analytic import agents_required, erlang_a

    agents = agents_required(rate, handle, patience, service_level, within, max_abandon)
    result = erlang_a(rate, handle, patience, agents)
    console.print(
        f"agents required    {agents}  (SL {service_level:.0%} in {within:g} s"
        + (f", abandon ≤ {max_abandon:.0%})" if max_abandon is not None else ")")
    )
    console.print(f"P(abandon)         {result.p_abandon:.4f}")
    console.print(f"SL offered ({within:g} s)  {result.sl_offered(within):.4f}")

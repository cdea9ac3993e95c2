"""Monthly support reports: how accurate a department's published figure stays.

Samples the real noise (``report_figures.noisy_part``, OpenDP's discrete Laplace) the way the
directory draws it at a month's close: the department's reporters spread evenly over 1, 2 or
3 directory processes, each writing its own noisy part, the published figure the sum of the
parts. Prints, per department size and number of processes, the 95% interval of the
published officers figure around the truth, of the published count of reports, and how often
the department is shown at all (summed noisy count >= ``minimum_reports(parts)``); then the
same for the network's figures.

Run: .venv/bin/python bench/report_accuracy.py [--months 4000] [--officers 6]
"""

from __future__ import annotations

import argparse
import statistics
import uuid

from services.directory import report_figures
from services.directory.report_figures import Cell

SIZES = (1, 3, 10, 30)  # reporting supporters in the department
PROCESSES = (1, 2, 3)


def interval(errors: list[int]) -> tuple[int, int]:
    """The central 95% of ``errors``."""
    ordered = sorted(errors)
    return ordered[int(0.025 * len(ordered))], ordered[int(0.975 * len(ordered)) - 1]


def spread(reporters: int, processes: int) -> list[int]:
    """Reporters per process when the load balancer takes turns."""
    return [len(range(n, reporters, processes)) for n in range(processes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=4000, help="closes sampled per case")
    parser.add_argument("--officers", type=int, default=6, help="officers per report")
    arguments = parser.parse_args()
    officers = min(arguments.officers, report_figures.OFFICERS_CAP)
    departments = {size: uuid.uuid4() for size in SIZES}
    print(
        f"{arguments.months} closes per line; every report {officers} officers; "
        f"ε per supporter-month {report_figures.EPSILON_PER_MONTH}; intervals are of the "
        "published figure (sums clamped at 0) minus the truth; sd of the unclamped sum"
    )
    header = (
        f"{'reporters':>9} {'processes':>9} {'threshold':>9} {'officers':>8}"
        f" {'95% officers':>16} {'sd':>6} {'95% reports':>13} {'shown':>8}"
    )
    print(header)
    network: dict[int, tuple[list[int], list[int]]] = {}
    for processes in PROCESSES:
        threshold = report_figures.minimum_reports(processes)
        counted = [
            {
                departments[size]: Cell(share, share * officers)
                for size in SIZES
                for share in [spread(size, processes)[n]]
            }
            for n in range(processes)
        ]
        sums: dict[int, tuple[list[int], list[int]]] = {size: ([], []) for size in SIZES}
        whole: tuple[list[int], list[int]] = ([], [])
        for _ in range(arguments.months):
            parts = [report_figures.noisy_part(cells, departments.values()) for cells in counted]
            for size in SIZES:
                key = departments[size]
                sums[size][0].append(sum(part[key].reports for part in parts))
                sums[size][1].append(sum(part[key].officers_supported for part in parts))
            whole[0].append(sum(part[None].reports for part in parts))
            whole[1].append(sum(part[None].officers_supported for part in parts))
        network[processes] = whole
        for size in SIZES:
            reports, published = sums[size]
            truth = size * officers
            low, high = interval([max(0, value) - truth for value in published])
            count_low, count_high = interval([value - size for value in reports])
            shown = sum(value >= threshold for value in reports) / len(reports)
            print(
                f"{size:>9} {processes:>9} {threshold:>9} {truth:>8}"
                f" {f'{low:+d} .. {high:+d}':>16} {statistics.pstdev(published):>6.1f}"
                f" {f'{count_low:+d} .. {count_high:+d}':>13} {shown:>8.2%}"
            )
    total = sum(SIZES)
    print(f"\nnetwork ({total} reports, {total * officers} officers):")
    for processes, (reports, published) in network.items():
        low, high = interval([value - total * officers for value in published])
        count_low, count_high = interval([value - total for value in reports])
        print(
            f"  {processes} process(es): officers {low:+d} .. {high:+d}"
            f" (sd {statistics.pstdev(published):.1f}), reports {count_low:+d} .. {count_high:+d}"
        )


if __name__ == "__main__":
    main()

"""Demo data: a realistic year of casework, recorded through the real CaseService.

Every case is planned first (what happens to it and when, from registration to
closing), then all cases' commands are given in one global time order with the
clock set to each command's moment. Giving them through the service's commands,
never by writing events, means every rule of the domain is honoured; giving
them in time order means reference numbers follow registration order, the log
reads like a real year, and each consultant's workload at the moment of an
assignment is what it really was then.
"""

from dossier.demo.clock import SettableClock
from dossier.demo.seeder import seed
from dossier.demo.summary import DemoSummary

__all__ = ["DemoSummary", "SettableClock", "seed"]

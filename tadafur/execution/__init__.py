"""Execution, the third phase of a co-creation project: disbursement tranches, expenses per
budget line, activity progress, indicator values per period and evidence files.

Who may do what (the rules live in `tadafur.access`, block "execution"):

- tranches are recorded and marked paid by each funder for its own share: the programme
  officer for the programme grant (and other funders), a commune user for the commune's
  contribution, an association user for the association's own contribution;
- expenses, activity progress, indicator values and evidence uploads: the two partners, the
  commune and the association (programme officers follow, they do not spend);
- evidence downloads: whoever may see the project (ministry reviewers and auditors in scope
  included), each download audited; ministry reviewers and auditors change nothing.

When: records are accepted only while the project is `in_execution`
(`services.accepts_records`); a suspended or terminated project, and every later state
(final report, evaluation, closed), shows what was recorded, read-only. The execution tab and
the budget-against-actual summary appear from the execution phase onwards.

Other modules read `services.budget_statement` and `services.indicator_results`.
"""

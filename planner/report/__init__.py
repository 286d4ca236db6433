"""The plan and its reports: KPIs, the compliance checklist, explanations and marginal values."""

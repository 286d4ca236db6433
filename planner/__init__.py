"""epiplan: plan reserve nurses, observation beds, 120 ambulances and drug stocks for district epidemic work plans."""

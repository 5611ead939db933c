"""engagiert: signing rounds of the Kommunen-Netzwerk: engagiert in NRW."""

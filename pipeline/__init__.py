"""engagiert: signing rounds of the Kommunen-Netzwerk: engagiert in NRW.

The package is laid out by stage (see README, "Where the code lives"):
``render`` → ``dispatch`` → ``checkin`` → ``track``, over a ground floor of shared modules
(``ledger``, ``round``, ``signatories``, ``spreadsheet``, ``docid``, ``states``, ``german``, ``errors``, ``fileio``,
``templating``, ``workers``, ``units``); ``cli`` is the skin that calls them.
"""

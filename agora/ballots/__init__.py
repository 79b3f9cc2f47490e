"""The secret ballot box shared by every feature that takes secret votes.

A *contest* is one thing voted on: a ranked vote (``vote:12``), later a participatory-budget
heading (``budget-heading:3``). Features call :mod:`agora.ballots.services` after their own
permission, phase and validation checks; the box only guarantees one secret ballot per voter
per contest.

Secrecy: what is stored, and why a ballot cannot be joined to its voter
-----------------------------------------------------------------------
Two tables, written in the same transaction:

``ballots`` (:class:`~agora.ballots.models.Ballot`)
    contest, content (JSON), receipt code, and for changeable contests a digest of the
    voter's secret change key. **No** voter id, **no** timestamp, and a random UUID primary key,
    so neither the key nor any column reveals the order of insertion. On SQLite the table is
    created ``WITHOUT ROWID`` (rows are then stored in the order of their random key, not of
    insertion). Every listing the app offers sorts ballots by receipt.
``ballot_casts`` (:class:`~agora.ballots.models.BallotCast`)
    "has voted": contest, voter, time, unique on (contest, voter). It holds no ballot id, no
    receipt and nothing computed from the ballot's content.

The only column the two share is the contest. The cast time lives only on the has-voted row,
so times cannot be matched; ballots carry none at all (not even rounded: a rounded time would
still single out a ballot cast in a quiet hour).

The receipt code (16 random base-32 characters, 80 bits) is shown to the voter once, right
after casting, and is never stored anywhere else; it is published with the ballot's content in
the anonymised cast-vote record after the contest closes, so a voter can check that their
ballot is in the count.

Changeable ballots (budgets: "changeable until balloting closes")
    The voter also receives a random *change key* (128 bits), shown once with the receipt.
    The ballot row stores ``sha256("ballot" | contest | key)`` and the has-voted row stores
    ``sha256("voter" | contest | key)``: two different digests of a secret only the voter
    holds, so the database cannot join them, and guessing keys is hopeless. To change their
    ballot the logged-in voter presents the key: it must match *their* has-voted row (so a key
    someone else leaked or published is useless to anyone but its owner) and then locates the
    ballot, whose content is replaced in place (same receipt). A lost key means the ballot
    stands as cast: that is the price of not keeping a link. Contests that are not changeable
    (ranked votes) store neither digest and refuse a second ballot.

One ballot per voter, even under concurrency
    The has-voted row is inserted first, inside a savepoint; the unique constraint on
    (contest, voter) makes a concurrent second insert fail (PostgreSQL blocks the second
    transaction until the first commits, then raises the unique violation), which becomes a
    clean :class:`~agora.errors.Conflict`. The whole cast rolls back with it.

What this does not protect against (stated, not solved)
    * The running server sees who submits which ballot at the moment of casting; an operator
      who logs requests on purpose can link them. The design protects the *stored* data
      (database dumps, backups, staff screens, later analysis).
    * On PostgreSQL the physical position of rows (``ctid``) follows insertion until the table
      is rewritten; someone with raw superuser access could compare it with the order of
      has-voted rows. The application never reads or exposes it.
    * A receipt lets a voter prove how they voted (no receipt-freeness), as with any
      published ballot list with receipt codes.
    * A contest with very few voters, or a unanimous one, reveals votes by arithmetic.
"""

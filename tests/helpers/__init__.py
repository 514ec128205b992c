"""Helpers shared by the test suites (import them as `tests.helpers.<module>`; tests never import each other).

times     START (the pinned clock's moment) and bj(...) for Beijing times
http      csrf_token, post_form, sign_in, place_order: the browser's side of the unit client
queries   balance, latest_code: what a test reads back from the database
plans     BUYER, buy_plan, buy_packs: a plan or packs bought and paid through the services
renewals  buy, ends_on_jan_31: the renewal tests' plan bought at the clock's time
unsubscribe  buy, add_renewal: the unsubscribe tests' purchases and renewal rows
"""

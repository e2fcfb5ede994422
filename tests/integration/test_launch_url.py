#!/usr/bin/python3
"""A launch URL naming a customer the cache has never seen: the client fetches
the customer record (not only its tokens), so the pane shows her name."""

import stacklib
from stacklib import Stack, check


def scenario():
    with Stack() as st:
        st.login()
        st.tui("https://sn.example.com/launch?ticket=INC0010001&customer=cus_8XK2")
        s = st.wait_for("Tokens of Jane Doe (8", timeout=20)
        check("cus_8XK2" not in s.splitlines()[2], "the pane title shows the id, not the name")


if __name__ == "__main__":
    stacklib.main(scenario)

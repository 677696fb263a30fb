"""Calls for collaboration across the network (ARCHITECTURE.md §Calls for collaboration).

A space posts a call (``project.put``), closes it (``project.close``); members of any space
answer it through their own home node (``project.answer``) and the posting space's admin replies
(``project.reply``), which the home node mails to its member (protocol.md §Inbox, "Answers to
calls").
"""

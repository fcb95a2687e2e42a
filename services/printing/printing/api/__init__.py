"""HTTP routes of the printing service."""

from . import printers, prints

routers = [prints.router, printers.router]

"""At the till: pricing, sales, refunds, checkout by member code or nozzle, member codes, nozzles."""

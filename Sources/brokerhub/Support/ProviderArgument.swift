import ArgumentParser
import BrokerCore

extension Provider: ExpressibleByArgument {}

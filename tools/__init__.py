"""Development tooling, apart from the runtime packages: the local Kafka and Elasticsearch
(`stack`), the private CA of the secured stack (`certs`), the README's configuration
reference (`reference`) and the training of the topic classifier (`training`).

Neither the wheel nor the image holds it: a checkout installs it beside wirewatch
(`make install`), and the `wirewatch stack` and `wirewatch config reference` commands import it
when they run. It may import the runtime packages; none of them imports it.
"""

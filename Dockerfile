# JupyterLab + Go + GoNB + fastgo, built with the same `make setup` that CI's `make test`
# runs, and serving through the same scripts/lab as `make lab` (token on).
#   docker build -t fastgo .
#   docker run --rm -p 8888:8888 fastgo      # then open the printed http://127.0.0.1:8888/lab?token=...
FROM golang:1.26-bookworm

# python3-venv: the Jupyter venv; make: the entry point. scripts/setup adds
# libblis-dev, libopenblas-dev and chromium itself (it runs as root here).
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip make \
	&& rm -rf /var/lib/apt/lists/*

WORKDIR /fastgo
COPY . .
RUN make setup

EXPOSE 8888
# Inside the container the server must listen beyond loopback to be reachable through -p;
# the token stays on (set JUPYTER_TOKEN to choose it, otherwise a random one is printed).
CMD ["scripts/lab", "--ip=0.0.0.0", "--no-browser"]

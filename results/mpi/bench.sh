#!/bin/bash
# -np 2 x 1 thread vs 1 process x 2 threads, on this machine (heat 3D paper run paused).
# The xtask binary built with --features mpi; run from a directory holding the configs
# heat{2d,3d}-b{1,2}-e{1,2,3}.toml: the heat 2D and heat 3D presets (`settings.scenario` of
# their summary.json) with a fixed K = K_eps, `epochs` = e and `gradient_blocks` = b.
B=${XTASK_MPI:-$PWD/target/release/xtask}
t() { local s=$(date +%s.%N); "$@" > /dev/null 2>>err.log; local e=$(date +%s.%N); echo "$e - $s" | bc; }
single() { rm -rf out; mkdir out; ln -s $PWD/data-$1 out/data; t $B train $2 --quiet --out out; }
ranks() { rm -rf out; mkdir out; ln -s $PWD/data-$1 out/data; RAYON_NUM_THREADS=1 t mpirun --allow-run-as-root -np 2 $B train $2 --quiet --out out; }
for name in heat2d heat3d; do
  mkdir -p data-$name
  n=3; [ $name = heat3d ] && n=2
  single $name $name-b1-e1.toml > /dev/null   # data generation
  echo "$name single-b1 e1 $(single $name $name-b1-e1.toml) e$n $(single $name $name-b1-e$n.toml)"
  echo "$name single-b2 e1 $(single $name $name-b2-e1.toml) e$n $(single $name $name-b2-e$n.toml)"
  echo "$name np2-b2 e1 $(ranks $name $name-b2-e1.toml) e$n $(ranks $name $name-b2-e$n.toml)"
done
rm -rf fan1 fan2
echo "fanout heat1d-quick-2seeds single $(t $B reproduce heat1d --quick --seeds 2 --quiet --out fan1)"
echo "fanout heat1d-quick-2seeds np2 $(RAYON_NUM_THREADS=1 t mpirun --allow-run-as-root -np 2 $B reproduce heat1d --quick --seeds 2 --quiet --out fan2)"

// What started this process, read from the launchers' environment (dist/launcher.h): one task is
// one process whatever the launcher, so a build without MPI trains there as always.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "dist/launcher.h"

namespace rnnkit {
namespace {

constexpr const char* kVariables[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                      "SLURM_STEP_NUM_TASKS"};

// detect_launcher() with exactly these launcher variables set; the others' values come back.
Launcher launcher_with(const std::map<std::string, std::string>& set) {
  std::map<std::string, std::string> saved;
  for (const char* name : kVariables) {
    if (const char* value = std::getenv(name)) saved[name] = value;
    unsetenv(name);
  }
  for (const auto& [name, value] : set) setenv(name.c_str(), value.c_str(), 1);
  const Launcher l = detect_launcher();
  for (const char* name : kVariables) unsetenv(name);
  for (const auto& [name, value] : saved) setenv(name.c_str(), value.c_str(), 1);
  return l;
}

TEST(Launcher, NoLauncherIsOneProcess) {
  const Launcher l = launcher_with({});
  EXPECT_FALSE(l.mpi);
  EXPECT_FALSE(l.srun_without_mpi);
  EXPECT_EQ(l.size, 1);
}

TEST(Launcher, MpirunAndPmi2SayTheirSize) {
  EXPECT_EQ(launcher_with({{"OMPI_COMM_WORLD_SIZE", "3"}}).size, 3);
  EXPECT_EQ(launcher_with({{"OMPI_COMM_WORLD_SIZE", "1"}}).size, 1);
  const Launcher pmi2 = launcher_with({{"PMI_SIZE", "4"}, {"SLURM_STEP_NUM_TASKS", "4"}});
  EXPECT_TRUE(pmi2.mpi);
  EXPECT_EQ(pmi2.size, 4);
}

TEST(Launcher, PmixUnderSrunTakesTheStepsTaskCount) {
  const Launcher one = launcher_with({{"PMIX_RANK", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}});
  EXPECT_TRUE(one.mpi);
  EXPECT_EQ(one.size, 1);  // one process: no MPI needed
  const Launcher two = launcher_with({{"PMIX_RANK", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}});
  EXPECT_EQ(two.size, 2);
  EXPECT_EQ(two.description, "srun --mpi=pmix with 2 tasks");
  EXPECT_FALSE(two.srun_without_mpi);
  EXPECT_EQ(launcher_with({{"PMIX_RANK", "0"}}).size, 0);  // another PMIx launcher: not said
}

TEST(Launcher, SrunWithoutAnMpiPluginIsNamed) {
  const Launcher l = launcher_with({{"SLURM_STEP_NUM_TASKS", "2"}});
  EXPECT_FALSE(l.mpi);
  EXPECT_TRUE(l.srun_without_mpi);
  EXPECT_EQ(l.size, 2);
  EXPECT_FALSE(launcher_with({{"SLURM_STEP_NUM_TASKS", "1"}}).srun_without_mpi);
}

}  // namespace
}  // namespace rnnkit

import Quarry
print(MemoryStats.backend)
